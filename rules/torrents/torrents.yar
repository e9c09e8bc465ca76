/*
   BitTorrent metainfo files and magnet links.
*/

rule torrents_bencoded_torrent
{
    meta:
        author = "isop-workbench"
        description = "Bencoded .torrent metainfo: a dictionary with announce and info keys"
        date = "2024-06-01"
        version = "1"
        artefact = "torrent.file"
    strings:
        $announce = "8:announce"
        $announce_list = "13:announce-list"
        $info = "4:infod"
        $piece_length = "12:piece length"
    condition:
        uint8(0) == 0x64 and filesize < 64MB and $info and $piece_length and ($announce at 1 or $announce_list)
}

rule torrents_magnet_link
{
    meta:
        author = "isop-workbench"
        description = "BitTorrent magnet link with a v1 (btih) or v2 (btmh) info-hash"
        date = "2024-06-01"
        version = "1"
        artefact = "torrent.magnet"
    strings:
        $btih = /magnet:\?xt=urn:btih:[0-9A-Za-z]{32}/ nocase
        $btmh = /magnet:\?xt=urn:btmh:1220[0-9A-Fa-f]{64}/ nocase
        $btih_html = /magnet:\?[a-z]{2}=[^"'\s]{1,200}&(amp;)?xt=urn:btih:[0-9A-Za-z]{32}/ nocase
    condition:
        any of them
}
