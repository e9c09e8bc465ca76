/*
    Benchmark pack for bench/yara_bench.py: 33 rules in the style of the workbench's own packs
    (IPTV panels, card sharing, scene, torrents, web configs, payments, logs). Several rules use
    regular expressions on purpose, a few of them with weak atoms, as real-world packs do.
    It must compile under YARA-X, libyara (yara-python) and Debian's yara CLI (4.2).
*/

rule bench_xtream_config_key : iptv
{
    meta:
        author = "isop-workbench"
        description = "Xtream Codes config XOR key"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.panel_config"
    strings:
        $key = "5709650b0d7806074842c6de575025b1"
    condition:
        $key
}

rule bench_xtream_db_defaults : iptv
{
    meta:
        author = "isop-workbench"
        description = "Xtream UI installer database defaults"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.panel_config"
    strings:
        $db = "xtream_iptvpro"
        $user = "user_iptvpro"
    condition:
        any of them
}

rule bench_xtream_nginx_ports : iptv
{
    meta:
        author = "isop-workbench"
        description = "Xtream nginx listening on the panel ports"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.panel_config"
    strings:
        $http = "listen 25461"
        $ssl = "listen 25463 ssl"
    condition:
        any of them
}

rule bench_xtream_users_table : iptv
{
    meta:
        author = "isop-workbench"
        description = "Xtream users (lines) table in a SQL dump"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.subscriber"
    strings:
        $create = "CREATE TABLE `users`"
        $exp = "`exp_date`"
        $max = "`max_connections`"
    condition:
        $create and ($exp or $max)
}

rule bench_xtream_reseller_hash : iptv
{
    meta:
        author = "isop-workbench"
        description = "Xtream reg_users crypt() hash"
        date = "2024-06-01"
        version = "1"
        artefact = "credential"
    strings:
        $hash = "$6$rounds=20000$xtreamcodes$"
    condition:
        $hash
}

rule bench_m3u_playlist : iptv
{
    meta:
        author = "isop-workbench"
        description = "Extended M3U playlist"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.stream"
    strings:
        $head = "#EXTM3U"
        $inf = "#EXTINF:"
    condition:
        $head at 0 and $inf
}

rule bench_m3u_line_url : iptv
{
    meta:
        author = "isop-workbench"
        description = "Xtream-style stream URL with line credentials"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.subscriber"
    strings:
        $url = /https?:\/\/[a-z0-9.\-]{3,64}(:[0-9]{2,5})?\/(live|movie|series)\/[A-Za-z0-9_]{3,32}\/[A-Za-z0-9_]{3,32}\/[0-9]{1,8}/
    condition:
        $url
}

rule bench_xmltv_guide : iptv
{
    meta:
        author = "isop-workbench"
        description = "XMLTV programme guide"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.stream"
    strings:
        $tv = "<tv generator-info-name"
        $prog = "<programme start=\""
    condition:
        $tv and $prog
}

rule bench_stalker_portal : iptv
{
    meta:
        author = "isop-workbench"
        description = "Stalker middleware portal"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.panel_config"
    strings:
        $load = "/stalker_portal/server/load.php"
        $mag = "MAG250" ascii wide
    condition:
        $load or $mag
}

rule bench_cccam_cline : cardsharing
{
    meta:
        author = "isop-workbench"
        description = "CCcam C: line (server, port, user, password)"
        date = "2024-06-01"
        version = "1"
        artefact = "cardsharing.account"
    strings:
        $c = /[\r\n]C: [a-z0-9.\-]{3,64} [0-9]{2,5} [^ \r\n]{1,32} [^ \r\n]{1,32}/
    condition:
        $c
}

rule bench_cccam_listen_port : cardsharing
{
    meta:
        author = "isop-workbench"
        description = "CCcam server config"
        date = "2024-06-01"
        version = "1"
        artefact = "cardsharing.account"
    strings:
        $port = "SERVER LISTEN PORT"
        $f = /[\r\n]F: [A-Za-z0-9_]{2,32} [^ \r\n]{1,32}/
    condition:
        $port or $f
}

rule bench_oscam_reader : cardsharing
{
    meta:
        author = "isop-workbench"
        description = "OSCam reader section"
        date = "2024-06-01"
        version = "1"
        artefact = "cardsharing.account"
    strings:
        $reader = "[reader]"
        $proto = "protocol" nocase
        $label = "label"
    condition:
        $reader and $proto and $label
}

rule bench_glftpd_conf : scene
{
    meta:
        author = "isop-workbench"
        description = "glFTPd site configuration"
        date = "2024-06-01"
        version = "1"
        artefact = "topsite.config"
    strings:
        $long = "sitename_long"
        $short = "sitename_short"
    condition:
        all of them
}

rule bench_glftpd_userfile : scene
{
    meta:
        author = "isop-workbench"
        description = "glFTPd user file"
        date = "2024-06-01"
        version = "1"
        artefact = "topsite.user"
    strings:
        $flags = "\nFLAGS "
        $tag = "\nTAGLINE "
        $credits = "\nCREDITS "
    condition:
        all of them
}

rule bench_scene_release_name : scene
{
    meta:
        author = "isop-workbench"
        description = "Scene release name with resolution and codec"
        date = "2024-06-01"
        version = "1"
        artefact = "scene.release"
    strings:
        $rls = /[A-Z][A-Za-z0-9]{1,40}(\.[A-Za-z0-9]{1,40}){1,8}\.(720p|1080p|2160p)\.[A-Za-z0-9.]{2,40}-[A-Za-z0-9_]{2,20}/
    condition:
        $rls
}

rule bench_sfv_line : scene
{
    meta:
        author = "isop-workbench"
        description = "SFV line for a RAR volume"
        date = "2024-06-01"
        version = "1"
        artefact = "scene.release"
    strings:
        $line = /\.r[0-9]{2} [0-9A-Fa-f]{8}[\r\n]/
    condition:
        #line > 2
}

rule bench_torrent_file : torrents
{
    meta:
        author = "isop-workbench"
        description = "BitTorrent metainfo file"
        date = "2024-06-01"
        version = "1"
        artefact = "torrent.file"
    strings:
        $announce = "d8:announce"
        $info = "4:infod"
    condition:
        $announce at 0 and $info
}

rule bench_tracker_passkey : torrents
{
    meta:
        author = "isop-workbench"
        description = "Private tracker announce URL carrying a passkey"
        date = "2024-06-01"
        version = "1"
        artefact = "credential"
    strings:
        $pk = /\/announce\/[0-9a-f]{32}/
    condition:
        $pk
}

rule bench_magnet_link : torrents
{
    meta:
        author = "isop-workbench"
        description = "Magnet link"
        date = "2024-06-01"
        version = "1"
        artefact = "torrent.magnet"
    strings:
        $m = /magnet:\?xt=urn:btih:[0-9a-fA-F]{40}/
    condition:
        $m
}

rule bench_unit3d_env : torrents
{
    meta:
        author = "isop-workbench"
        description = "UNIT3D tracker .env"
        date = "2024-06-01"
        version = "1"
        artefact = "web.config"
    strings:
        $tmdb = "TMDB_API_KEY="
        $db = "DB_PASSWORD="
    condition:
        all of them
}

rule bench_gazelle_schema : torrents
{
    meta:
        author = "isop-workbench"
        description = "Gazelle users_main table"
        date = "2024-06-01"
        version = "1"
        artefact = "tracker.user"
    strings:
        $t = "users_main"
        $p = "torrent_pass"
    condition:
        all of them
}

rule bench_ocelot_conf : torrents
{
    meta:
        author = "isop-workbench"
        description = "Ocelot tracker configuration"
        date = "2024-06-01"
        version = "1"
        artefact = "web.config"
    strings:
        $site = "site_password"
        $report = "report_password"
    condition:
        all of them
}

rule bench_wp_config : web
{
    meta:
        author = "isop-workbench"
        description = "WordPress wp-config.php database password"
        date = "2024-06-01"
        version = "1"
        artefact = "web.config"
    strings:
        $pw = /define\(\s{0,4}['"]DB_PASSWORD['"]\s{0,4},/
    condition:
        $pw
}

rule bench_laravel_env : web
{
    meta:
        author = "isop-workbench"
        description = "Laravel .env application key"
        date = "2024-06-01"
        version = "1"
        artefact = "web.config"
    strings:
        $key = "APP_KEY=base64:"
    condition:
        $key
}

rule bench_stripe_secret : payments
{
    meta:
        author = "isop-workbench"
        description = "Stripe live secret key"
        date = "2024-06-01"
        version = "1"
        artefact = "credential"
    strings:
        $sk = /sk_live_[0-9A-Za-z]{24,99}/
    condition:
        $sk
}

rule bench_btc_address : payments
{
    meta:
        author = "isop-workbench"
        description = "Bitcoin address (legacy or bech32)"
        date = "2024-06-01"
        version = "1"
        artefact = "payment.wallet"
    strings:
        $legacy = /[^A-Za-z0-9][13][a-km-zA-HJ-NP-Z1-9]{25,34}[^A-Za-z0-9]/
        $bech = /bc1[ac-hj-np-z02-9]{11,71}/
    condition:
        any of them
}

rule bench_eth_address : payments
{
    meta:
        author = "isop-workbench"
        description = "Ethereum address"
        date = "2024-06-01"
        version = "1"
        artefact = "payment.wallet"
    strings:
        $eth = /0x[0-9a-fA-F]{40}[^0-9a-fA-F]/
    condition:
        $eth
}

rule bench_xmr_address : payments
{
    meta:
        author = "isop-workbench"
        description = "Monero standard address"
        date = "2024-06-01"
        version = "1"
        artefact = "payment.wallet"
    strings:
        $xmr = /4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}/
    condition:
        $xmr
}

rule bench_nginx_live_request : logs
{
    meta:
        author = "isop-workbench"
        description = "nginx access log line fetching a live stream segment"
        date = "2024-06-01"
        version = "1"
        artefact = "log.event"
    strings:
        $req = /"GET \/live\/[^\/ ]{1,32}\/[^\/ ]{1,32}\/[0-9]{1,8}\.ts HTTP\/1\.[01]"/
    condition:
        $req
}

rule bench_sshd_accepted : logs
{
    meta:
        author = "isop-workbench"
        description = "sshd accepted login"
        date = "2024-06-01"
        version = "1"
        artefact = "log.event"
    strings:
        $a = "Accepted password for"
        $b = "Accepted publickey for"
    condition:
        any of them
}

rule bench_mysql_general_log : logs
{
    meta:
        author = "isop-workbench"
        description = "MySQL general query log"
        date = "2024-06-01"
        version = "1"
        artefact = "log.event"
    strings:
        $connect = "\tConnect\t"
        $query = "\tQuery\tSELECT"
    condition:
        all of them
}

rule bench_bash_dump_command : logs
{
    meta:
        author = "isop-workbench"
        description = "Shell history dumping a panel database"
        date = "2024-06-01"
        version = "1"
        artefact = "log.event"
    strings:
        $dump = /mysqldump -u [A-Za-z0-9_]{1,32} -p/
    condition:
        $dump
}

rule bench_elf_panel_binary : iptv
{
    meta:
        author = "isop-workbench"
        description = "ELF binary carrying Xtream Codes strings"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.panel_config"
    strings:
        $xc = "xtreamcodes"
    condition:
        uint32(0) == 0x464c457f and $xc
}

rule bench_zip_with_playlist : iptv
{
    meta:
        author = "isop-workbench"
        description = "Zip archive holding an M3U playlist"
        date = "2024-06-01"
        version = "1"
        artefact = "iptv.stream"
    strings:
        $m3u = ".m3u" nocase
    condition:
        uint32(0) == 0x04034b50 and $m3u
}
