-- MySQL dump 10.13  Distrib 5.7.44, for Linux (x86_64)
--
-- Host: localhost    Database: xtream_iptvpro
-- ------------------------------------------------------
DROP TABLE IF EXISTS `reg_users`;
CREATE TABLE `reg_users` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `username` varchar(50) NOT NULL,
  `password` varchar(255) NOT NULL,
  `email` varchar(255) NOT NULL,
  `member_group_id` int(11) NOT NULL DEFAULT '0',
  `credits` float NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8;
LOCK TABLES `reg_users` WRITE;
INSERT INTO `reg_users` VALUES (1,'admin','$6$rounds=20000$xtreamcodes$FAKEFAKEFAKE','admin@iptvking.invalid',1,0),(2,'reseller01','$6$rounds=20000$xtreamcodes$FAKEFAKE2','reseller01@mail.invalid',4,250);
UNLOCK TABLES;
DROP TABLE IF EXISTS `user_activity`;
CREATE TABLE `user_activity` (
  `activity_id` int(11) NOT NULL AUTO_INCREMENT,
  `user_id` int(11) NOT NULL,
  `stream_id` int(11) NOT NULL,
  `user_ip` varchar(39) NOT NULL,
  `date_start` int(11) NOT NULL,
  PRIMARY KEY (`activity_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
