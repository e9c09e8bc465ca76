"""Sample IPTV playlists, an XMLTV guide, an HLS playlist and notes with client URLs (deterministic).

``build_playlists(root)`` writes what a reseller's box typically holds: one M3U per subscriber as
the panel generates it (``get.php?…&type=m3u_plus``), the EPG the panel serves, a text file of
the URLs sent to customers, and an HLS media playlist of a restream (segments, no channels).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

REFERENCE_TIME = datetime(2024, 6, 1, tzinfo=UTC)
PANEL_HOST = "line.fakeiptv.invalid"
PANEL_PORT = 8080

# (display name, tvg-id, category) of made-up channels.
CHANNEL_CATALOGUE = (
    ("UK: Sport One HD", "sportone.uk", "UK | Sports"),
    ("UK: Sport Two HD", "sporttwo.uk", "UK | Sports"),
    ("UK: Racing Live", "racinglive.uk", "UK | Sports"),
    ("UK: News 24", "news24.uk", "UK | News"),
    ("UK: Movie Max", "moviemax.uk", "UK | Movies"),
    ("DE: Fussball Eins", "fussballeins.de", "DE | Sport"),
    ("DE: Kino Plus HD", "kinoplus.de", "DE | Filme"),
    ("DE: Nachrichten", "nachrichten.de", "DE | News"),
    ("FR: Sport Club", "sportclub.fr", "FR | Sport"),
    ("FR: Cinéma Premier", "cinemapremier.fr", "FR | Cinéma"),
    ("IT: Calcio Uno", "calciouno.it", "IT | Sport"),
    ("ES: Fútbol Total", "futboltotal.es", "ES | Deportes"),
    ("NL: Voetbal Live", "voetballive.nl", "NL | Sport"),
    ("TR: Spor Bir", "sporbir.tr", "TR | Spor"),
    ("US: Fight Night PPV", "fightnight.us", "US | PPV"),
    ("US: Kids Toons", "kidstoons.us", "US | Kids"),
)
_FIRST_NAMES = ("jdoe", "mrossi", "kweber", "adupont", "pgarcia", "lnovak", "tkaya", "svisser", "bjones")
_PROGRAMME_TITLES = (
    "Live Football",
    "Match Highlights",
    "Evening News",
    "Premiere Movie",
    "Studio Talk",
    "Replay",
)


@dataclass(frozen=True)
class SampleChannel:
    """A channel as the panel lists it."""

    stream_id: int
    name: str
    tvg_id: str
    group: str
    logo: str


@dataclass(frozen=True)
class Subscriber:
    """A panel line (subscriber credentials)."""

    username: str
    password: str


@dataclass(frozen=True)
class PlaylistFigures:
    """Exactly what ``build_playlists`` wrote."""

    playlists: int  # IPTV channel-list M3U files
    channel_entries: int  # channel entries over all those playlists (one iptv.channel each)
    distinct_channels: int  # distinct (name, tvg-id)
    line_credentials: int  # distinct (host, username, password) in the playlists
    epg_channels: int
    epg_programmes: int
    notes_access_urls: int  # distinct client URLs in the notes file
    hls_playlists: int  # HLS playlists written (no channels in them)
    hls_segments: int
    subscribers: tuple[Subscriber, ...]
    paths: tuple[str, ...]  # files written, relative to root


def sample_channels(rng: random.Random, count: int) -> list[SampleChannel]:
    """``count`` channels from the catalogue, in catalogue order, with panel stream ids."""
    count = min(count, len(CHANNEL_CATALOGUE))
    picked = sorted(rng.sample(range(len(CHANNEL_CATALOGUE)), count))
    stream_ids = sorted(rng.sample(range(1001, 1999), count))
    return [
        SampleChannel(
            stream_id=stream_id,
            name=CHANNEL_CATALOGUE[index][0],
            tvg_id=CHANNEL_CATALOGUE[index][1],
            group=CHANNEL_CATALOGUE[index][2],
            logo=f"http://img.fakeiptv.invalid/logos/{CHANNEL_CATALOGUE[index][1]}.png",
        )
        for index, stream_id in zip(picked, stream_ids, strict=True)
    ]


def sample_subscribers(rng: random.Random, count: int) -> list[Subscriber]:
    """``count`` distinct line credentials."""
    alphabet = string.ascii_letters + string.digits
    subscribers: list[Subscriber] = []
    names: set[str] = set()
    while len(subscribers) < count:
        username = f"{rng.choice(_FIRST_NAMES)}{rng.randint(10, 99)}"
        if username in names:
            continue
        names.add(username)
        subscribers.append(Subscriber(username, "".join(rng.choice(alphabet) for _ in range(10))))
    return subscribers


def write_m3u(
    path: Path,
    host: str,
    subscriber_user: str,
    subscriber_pass: str,
    channels: list[SampleChannel],
    *,
    port: int = PANEL_PORT,
    output: str = "ts",
) -> int:
    """Write the panel's ``m3u_plus`` playlist for one line (CRLF, as the panel does); returns the
    number of channel entries."""
    base = f"http://{host}:{port}"
    lines = [f'#EXTM3U url-tvg="{base}/xmltv.php?username={subscriber_user}&password={subscriber_pass}"']
    for channel in channels:
        lines.append(
            f'#EXTINF:-1 xui-id="{channel.stream_id}" tvg-id="{channel.tvg_id}" tvg-name="{channel.name}" '
            f'tvg-logo="{channel.logo}" group-title="{channel.group}",{channel.name}'
        )
        lines.append(f"{base}/live/{subscriber_user}/{subscriber_pass}/{channel.stream_id}.{output}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return len(channels)


def write_xmltv(
    path: Path, channels: list[SampleChannel], start: datetime, hours: int, rng: random.Random
) -> int:
    """Write an XMLTV guide covering ``hours`` from ``start`` for every channel; returns the number
    of programmes written."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE tv SYSTEM "xmltv.dtd">']
    out.append(f'<tv generator-info-name="fake-epg" source-info-url="http://{PANEL_HOST}/epg">')
    for channel in channels:
        out.append(
            f"  <channel id={quoteattr(channel.tvg_id)}><display-name>{escape(channel.name)}</display-name>"
            f"<icon src={quoteattr(channel.logo)}/></channel>"
        )
    programmes = 0
    end = start + timedelta(hours=hours)
    for channel in channels:
        moment = start
        while moment < end:
            stop = min(end, moment + timedelta(minutes=rng.choice((30, 60, 90, 120))))
            title = rng.choice(_PROGRAMME_TITLES)
            out.append(
                f'  <programme start="{moment:%Y%m%d%H%M%S} +0000" stop="{stop:%Y%m%d%H%M%S} +0000" '
                f"channel={quoteattr(channel.tvg_id)}><title>{escape(title)}</title>"
                f"<desc>{escape(title)} on {escape(channel.name)}</desc></programme>"
            )
            programmes += 1
            moment = stop
    out.append("</tv>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return programmes


def write_hls_media(path: Path, segments: int, first_sequence: int) -> int:
    """Write an HLS media playlist of a restreamed channel; returns the number of segments."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:10",
        f"#EXT-X-MEDIA-SEQUENCE:{first_sequence}",
    ]
    for number in range(first_sequence, first_sequence + segments):
        lines += ["#EXTINF:10.000,", f"segment_{number}.ts"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return segments


def build_playlists(root: Path, seed: int = 5, subscribers: int = 3, channels: int = 10) -> PlaylistFigures:
    """Write the playlist sample tree under ``root`` and return exactly what was put in."""
    rng = random.Random(seed)
    root = Path(root)
    lineup = sample_channels(rng, channels)
    lines = sample_subscribers(rng, subscribers)
    paths: list[str] = []
    entries = 0
    for line in lines:
        relative = f"home/reseller/playlists/{line.username}.m3u"
        entries += write_m3u(root / relative, PANEL_HOST, line.username, line.password, lineup)
        paths.append(relative)

    guide = "home/reseller/epg/guide.xml"
    programmes = write_xmltv(root / guide, lineup, REFERENCE_TIME - timedelta(days=1), 24, rng)
    paths.append(guide)

    notes = "home/reseller/notes/sent_to_customers.txt"
    base = f"http://{PANEL_HOST}:{PANEL_PORT}"
    note_lines = ["Lines sent to customers (copy/paste into the app)", ""]
    urls: set[str] = set()
    for number, line in enumerate(lines):
        sent = REFERENCE_TIME - timedelta(days=30 - number)
        playlist_url = (
            f"{base}/get.php?username={line.username}&password={line.password}&type=m3u_plus&output=ts"
        )
        api_url = f"{base}/player_api.php?username={line.username}&password={line.password}"
        note_lines.append(f"{sent:%Y-%m-%d} {line.username}: {playlist_url}")
        note_lines.append(f"    app login check: {api_url}")
        note_lines.append(f"    resent {sent + timedelta(days=2):%Y-%m-%d}: {playlist_url}")
        urls.update((playlist_url, api_url))
    note_lines += ["", "Support page: https://help.fakeiptv.invalid/live/news/2024/06/01/setup-guide.html"]
    (root / notes).parent.mkdir(parents=True, exist_ok=True)
    (root / notes).write_text("\n".join(note_lines) + "\n", encoding="utf-8")
    paths.append(notes)

    hls = f"var/www/html/hls/{lineup[0].stream_id}/index.m3u8"
    segments = write_hls_media(root / hls, 6, rng.randint(1000, 9000))
    paths.append(hls)

    return PlaylistFigures(
        playlists=len(lines),
        channel_entries=entries,
        distinct_channels=len({(channel.name, channel.tvg_id) for channel in lineup}),
        line_credentials=len({(PANEL_HOST, line.username, line.password) for line in lines}),
        epg_channels=len(lineup),
        epg_programmes=programmes,
        notes_access_urls=len(urls),
        hls_playlists=1,
        hls_segments=segments,
        subscribers=tuple(lines),
        paths=tuple(paths),
    )
