"""The topsite plugin on the ARTEFACTS.md examples through FileView."""

from __future__ import annotations

from workbench.plugins.topsite import TopsitePlugin

from workbench.plugin_api import FileView

from .test_topsite_parsers import GLLOG, USERFILE, XFER


def run(path: str, data: bytes) -> list:
    view = FileView(exhibit="EX-01", location="EX-01 / ext4 /" + path, path=path, size=len(data), _data=data)
    return list(TopsitePlugin().extract(view, data))


def test_userfile() -> None:
    (user,) = run("/glftpd/ftp-data/users/racer1", USERFILE)
    f = user.fields
    assert (f["name"], f["flags"], f["deleted"], f["added_by"]) == ("racer1", "3", False, "siteop")
    assert f["bytes_up"] == (734003200 + 2048) * 1024 and f["files_up"] == 1530
    assert f["groups"] == ["FakeGrp", "Staff"] and f["ip_masks"] == ["*@198.51.100.*", "racer@203.0.113.7"]


def test_log_events_and_releases() -> None:
    out = run("/glftpd/ftp-data/logs/glftpd.log", GLLOG)
    events = [a.fields for a in out if a.kind == "topsite.event"]
    assert (
        events[0]["event"] == "NEWDIR" and events[0]["user"] == "racer1" and events[0]["group"] == "FakeGrp"
    )
    assert events[0]["release"] == "Example.Film.2024.1080p.BluRay.x264-FAKEGRP"
    assert events[0]["time"] == "2024-06-01T14:02:11Z"
    assert events[1]["event"] == "LOGIN" and events[1]["user"] == "racer1" and events[1]["path"] is None
    releases = [a.fields for a in out if a.kind == "scene.release"]
    assert [(r["name"], r["seen_as"]) for r in releases] == [
        ("Example.Film.2024.1080p.BluRay.x264-FAKEGRP", "log")
    ]


def test_xferlog() -> None:
    out = run("/glftpd/ftp-data/logs/xferlog", XFER)
    transfers = [a.fields for a in out if a.kind == "topsite.transfer"]
    assert len(transfers) == 3
    assert (
        transfers[0]["direction"] == "up"
        and transfers[0]["bytes"] == 52428800
        and transfers[0]["group"] == "FakeGrp"
    )
    assert (
        transfers[0]["release"] == "Example.Film.2024.1080p.BluRay.x264-FAKEGRP"
        and transfers[0]["completed"] is True
    )
    assert transfers[1]["release"] is None


def test_passwd_gives_users_and_hashes() -> None:
    out = run("/glftpd/etc/passwd", b"racer1:$1$abc$xyz:101:300:06-01-24:/site:/bin/false\n")
    assert [a.kind for a in out] == ["topsite.user", "credential"]
    assert out[0].fields["added"] == "2024-06-01T00:00:00Z"
    assert out[1].fields["secret_type"] == "crypt-md5"
