<?php
define( 'DB_NAME', 'docs_wp' );
define( 'DB_USER', 'docs' );
define( 'DB_PASSWORD', 'p4ssw0rd-docs' );
define( 'DB_HOST', 'localhost' );
$table_prefix = 'wp_';
require_once ABSPATH . 'wp-settings.php';
