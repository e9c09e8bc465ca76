<?php
/**
 * The base configuration for WordPress
 *
 * @package WordPress
 */

// ** Database settings - You can get this info from your web host ** //
/** The name of the database for WordPress */
define( 'DB_NAME', 'fakestream_wp' );

/** Database username */
define( 'DB_USER', 'fs_wpuser' );

/** Database password */
define( 'DB_PASSWORD', 'k9Vq2mLx7Rt4' );

/** Database hostname */
define( 'DB_HOST', 'localhost' );

define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

define( 'AUTH_KEY',         'q0Wm:Fa;r3K1j7x(Zt-v9D2e' );
define( 'SECURE_AUTH_KEY',  'p0Lk+Rj8y2NcV5b{Qw7zH1u4' );

$table_prefix = 'fs_';

define( 'WP_HOME', 'https://blog.fakestream.invalid' );
define( 'WP_DEBUG', false );

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}

require_once ABSPATH . 'wp-settings.php';
