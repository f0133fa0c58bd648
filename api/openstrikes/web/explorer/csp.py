"""The Content-Security-Policy of the explorer's pages: the server's own origin only (and the
operator's tile server for images, when one is configured)."""

from __future__ import annotations

from urllib.parse import urlsplit


def tile_origin(tile_url: str | None) -> str | None:
    """The origin (scheme://host[:port]) of a tile URL template, or None."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return (
        f"{parts.scheme}://{parts.netloc}".replace("://a.", "://*.")
        if "{s}" in tile_url
        else (f"{parts.scheme}://{parts.netloc}")
    )


def policy(tile_url: str | None) -> str:
    img = "'self' data:"
    origin = tile_origin(tile_url)
    if origin:
        img += f" {origin}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {img}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
