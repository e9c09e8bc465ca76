/*
 * Card-sharing server configuration: CCcam.cfg lines and OSCam oscam.user / oscam.server /
 * oscam.conf files. Lines are anchored on the preceding newline so every atom is at least four
 * bytes; a configuration whose very first line is the only match is found by file name instead.
 */

rule cardsharing_cccam_friend : cardsharing
{
    meta:
        author = "isop-workbench"
        description = "CCcam.cfg F: lines (customer accounts: user, password, uphops, shareemus, allowemm)"
        date = "2026-11-28"
        version = "1"
        artefact = "cardsharing.account"
    strings:
        $f_flags = /\nF: [^ \t\r\n]{1,64}[ \t]{1,8}[^ \t\r\n]{1,64}[ \t]{1,8}[0-9]{1,2}[ \t]{1,8}[01][ \t]{1,8}[01]/
        $f_plain = /\nF: [^ \t\r\n#]{1,64}[ \t]{1,8}[^ \t\r\n#]{1,64}[ \t]{0,8}[\r\n]/
    condition:
        $f_flags or #f_plain >= 2
}

rule cardsharing_cccam_upstream : cardsharing
{
    meta:
        author = "isop-workbench"
        description = "CCcam.cfg C: (CCcam) or N: (newcamd with 14-byte DES key) upstream server lines"
        date = "2026-11-28"
        version = "1"
        artefact = "cardsharing.upstream"
    strings:
        $c_line = /\nC: [A-Za-z0-9.-]{1,253}[ \t]{1,8}[0-9]{2,5}[ \t]{1,8}[^ \t\r\n]{1,64}[ \t]{1,8}[^ \t\r\n]{1,64}/
        $n_line = /\nN: [A-Za-z0-9.-]{1,253}[ \t]{1,8}[0-9]{2,5}[ \t]{1,8}[^ \t\r\n]{1,64}[ \t]{1,8}[^ \t\r\n]{1,64}[ \t]{1,8}[0-9A-Fa-f]{2}[ \t]?[0-9A-Fa-f]{2}[ \t]?[0-9A-Fa-f]{2}/
    condition:
        any of them
}

rule cardsharing_cccam_config : cardsharing
{
    meta:
        author = "isop-workbench"
        description = "CCcam.cfg server settings (listen ports, web info login)"
        date = "2026-11-28"
        version = "1"
        artefact = "cardsharing.server_config"
    strings:
        $listen = "SERVER LISTEN PORT"
        $webinfo_port = "WEBINFO LISTEN PORT"
        $webinfo_user = "WEBINFO USERNAME"
        $webinfo_pass = "WEBINFO PASSWORD"
        $telnet = "TELNETINFO LISTEN PORT"
        $emm = "ALLOW TELNETINFO"
    condition:
        $listen or 2 of ($webinfo_port, $webinfo_user, $webinfo_pass, $telnet, $emm)
}

rule cardsharing_oscam_user : cardsharing
{
    meta:
        author = "isop-workbench"
        description = "OSCam oscam.user: [account] blocks with user and pwd"
        date = "2026-11-28"
        version = "1"
        artefact = "cardsharing.account"
    strings:
        $account = "[account]" nocase
        $user = /\nuser[ \t]{0,32}=/
        $pwd = /\npwd[ \t]{0,32}=/
    condition:
        $account and $user and $pwd
}

rule cardsharing_oscam_server : cardsharing
{
    meta:
        author = "isop-workbench"
        description = "OSCam oscam.server: [reader] blocks with label, protocol and device"
        date = "2026-11-28"
        version = "1"
        artefact = "cardsharing.upstream"
    strings:
        $reader = "[reader]" nocase
        $label = /\nlabel[ \t]{0,32}=/
        $protocol = /\nprotocol[ \t]{0,32}=[ \t]{0,32}(cccam|newcamd|newcamd524|camd35|cs357x|cs378x|radegast|gbox|pcsc|internal|mouse|smartreader|scam|ghttp)/
        $device = /\ndevice[ \t]{0,32}=/
    condition:
        $reader and $label and $protocol and $device
}

rule cardsharing_oscam_conf : cardsharing
{
    meta:
        author = "isop-workbench"
        description = "OSCam oscam.conf: [global] with card-sharing protocol or web interface sections"
        date = "2026-11-28"
        version = "1"
        artefact = "cardsharing.server_config"
    strings:
        $global = "[global]" nocase
        $cccam = "[cccam]" nocase
        $newcamd = "[newcamd]" nocase
        $webif = "[webif]" nocase
        $dvbapi = "[dvbapi]" nocase
        $camd35 = "[camd35]" nocase
        $cs378x = "[cs378x]" nocase
        $httpport = /\nhttpport[ \t]{0,32}=/
        $nodeid = /\nnodeid[ \t]{0,32}=/
    condition:
        $global and (any of ($cccam, $newcamd, $webif, $dvbapi, $camd35, $cs378x) or $httpport or $nodeid)
}
