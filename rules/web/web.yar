/*
 * Web application and web server configuration that names the site's database, mail and API
 * secrets or the domains it serves: WordPress wp-config.php, Laravel .env, nginx virtual hosts
 * with Let's Encrypt certificates (whose live/<domain>/ path leaks the domain).
 */

rule web_wpconfig_db_credentials : web
{
    meta:
        author = "isop-workbench"
        description = "WordPress wp-config.php with a non-empty DB_PASSWORD and a DB_USER define()"
        date = "2026-11-28"
        version = "1"
        artefact = "web.site"
    strings:
        $db_password = /define\([ \t]{0,4}['"]DB_PASSWORD['"][ \t]{0,4},[ \t]{0,4}['"][^'"\r\n]{1,128}['"]/
        $db_user = /define\([ \t]{0,4}['"]DB_USER['"]/
    condition:
        $db_password and $db_user
}

rule web_laravel_env_secrets : web
{
    meta:
        author = "isop-workbench"
        description = "Laravel .env with an application key and a database or mail password"
        date = "2026-11-28"
        version = "1"
        artefact = "credential"
    strings:
        $app_key = /APP_KEY=base64:[A-Za-z0-9+\/]{20,64}/
        $db_password = /\nDB_PASSWORD=[^ \t\r\n#]/
        $mail_password = /\nMAIL_PASSWORD=[^ \t\r\n#]/
    condition:
        $app_key and ($db_password or $mail_password)
}

rule web_nginx_letsencrypt_vhost : web
{
    meta:
        author = "isop-workbench"
        description = "nginx server block with server_name and a Let's Encrypt certificate path naming a domain"
        date = "2026-11-28"
        version = "1"
        artefact = "web.domain"
    strings:
        $server_name = /server_name[ \t]{1,8}[A-Za-z0-9*][A-Za-z0-9.-]{0,200}\.[A-Za-z]{2,63}/
        $letsencrypt_cert = /ssl_certificate[ \t]{1,8}["']?\/etc\/letsencrypt\/live\/[A-Za-z0-9.-]{1,200}\//
    condition:
        $server_name and $letsencrypt_cert
}
