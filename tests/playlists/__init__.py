"""Tests of M3U/XMLTV playlists and Xtream access URLs."""
