-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: wordpress
DROP TABLE IF EXISTS `wp_users`;
CREATE TABLE `wp_users` (
  `ID` bigint unsigned NOT NULL AUTO_INCREMENT,
  `user_login` varchar(60) NOT NULL DEFAULT '',
  `user_pass` varchar(255) NOT NULL DEFAULT '',
  `user_email` varchar(100) NOT NULL DEFAULT '',
  PRIMARY KEY (`ID`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO `wp_users` VALUES (1,'editor','$P$BFAKEFAKEFAKEFAKEFAKEFAKEFAKE0','editor@blog.example.invalid');
DROP TABLE IF EXISTS `users`;
CREATE TABLE `users` (`id` int NOT NULL, `name` varchar(50), PRIMARY KEY (`id`));
INSERT INTO `users` VALUES (1,'lines of text');
