/*
 * IPTV panels: Xtream UI / XUI.one / Stalker configuration and database dumps, Xtream-style M3U
 * playlists and the client URLs (player_api.php, get.php, /live/U/P/id.ts) that carry line
 * credentials.
 */

rule iptv_xtream_config : iptv
{
    meta:
        author = "isop-workbench"
        description = "Xtream UI iptv_xtream_codes/config: Base64 of the installer-key XOR of {\"host\":... (the prefix is constant)"
        date = "2026-11-28"
        version = "1"
        artefact = "iptv.panel_config"
    strings:
        $compact = "ThVYVkVBElgS"
        $spaced = "ThVYVkVBElgQ"
    condition:
        filesize < 4KB and ($compact at 0 or $spaced at 0)
}

rule iptv_xtream_paths : iptv
{
    meta:
        author = "isop-workbench"
        description = "Names the Xtream UI install root /home/xtreamcodes/iptv_xtream_codes (scripts, crontabs, nginx.conf, history)"
        date = "2026-11-28"
        version = "1"
        artefact = "iptv.panel_config"
    strings:
        $root = "/home/xtreamcodes/iptv_xtream_codes/"
    condition:
        $root
}

rule iptv_xtream_database_dump : iptv
{
    meta:
        author = "isop-workbench"
        description = "SQL dump of an Xtream UI panel database (reg_users and user_activity tables, or the xtream_iptvpro database)"
        date = "2026-11-28"
        version = "1"
        artefact = "iptv.subscriber"
    strings:
        $reg_users = "CREATE TABLE `reg_users`"
        $activity = "CREATE TABLE `user_activity`"
        $database = "xtream_iptvpro"
        $insert_reg = "INSERT INTO `reg_users`"
    condition:
        ($reg_users and $activity) or ($database and ($reg_users or $insert_reg))
}

rule iptv_xui_config : iptv
{
    meta:
        author = "isop-workbench"
        description = "XUI.one / XC_VM config.ini with its [XUI] and [Encrypted] sections"
        date = "2026-11-28"
        version = "1"
        artefact = "iptv.panel_config"
    strings:
        $xui = "[XUI]"
        $encrypted = "[Encrypted]"
        $hostname = "hostname"
        $license = "license"
    condition:
        filesize < 64KB and $xui and $encrypted and ($hostname or $license)
}

rule iptv_xui_database_dump : iptv
{
    meta:
        author = "isop-workbench"
        description = "SQL dump of an XUI.one / XC_VM panel database (lines with lines_activity or the reseller logs)"
        date = "2026-11-28"
        version = "1"
        artefact = "iptv.subscriber"
    strings:
        $lines = "CREATE TABLE `lines`"
        $activity = "CREATE TABLE `lines_activity`"
        $credits = "CREATE TABLE `users_credits_logs`"
        $users_logs = "CREATE TABLE `users_logs`"
    condition:
        $lines and ($activity or $credits or $users_logs)
}

rule iptv_stalker_config : iptv
{
    meta:
        author = "isop-workbench"
        description = "Stalker / Ministra middleware config.ini or custom.ini with its MySQL settings"
        date = "2026-11-28"
        version = "1"
        artefact = "iptv.panel_config"
    strings:
        $host = /mysql_host[ \t]{0,8}=/
        $pass = /mysql_pass[ \t]{0,8}=/
        $db = "stalker_db"
        $portal = "stalker_portal"
    condition:
        filesize < 256KB and $host and $pass and ($db or $portal)
}

rule iptv_m3u_xtream_playlist : iptv
{
    meta:
        author = "isop-workbench"
        description = "M3U playlist with tvg-id attributes and Xtream-style /live/USER/PASS/ID stream URLs"
        date = "2026-11-28"
        version = "1"
        artefact = "iptv.channel"
    strings:
        $header = "#EXTM3U"
        $extinf = "#EXTINF:"
        $tvg = "tvg-id=\""
        $live = /\/live\/[A-Za-z0-9_.@-]{1,64}\/[A-Za-z0-9_.@!$-]{1,64}\/[0-9]{1,10}\.(ts|m3u8)/
    condition:
        $header at 0 and $extinf and $tvg and $live
}

rule iptv_xtream_client_url : iptv
{
    meta:
        author = "isop-workbench"
        description = "Xtream client URLs with line credentials: player_api.php / get.php / xmltv.php?username=&password= or /live|movie|series/U/P/ID"
        date = "2026-11-28"
        version = "1"
        artefact = "iptv.access_url"
    strings:
        $api = /(player_api|get|xmltv)\.php\?username=[^&\s"']{1,64}&password=/
        $path = /\/(live|movie|series)\/[A-Za-z0-9_.@-]{1,64}\/[A-Za-z0-9_.@!$-]{1,64}\/[0-9]{1,10}\.(ts|m3u8|mp4|mkv|avi)/
    condition:
        $api or $path
}
