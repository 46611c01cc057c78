"""Building slug archives for tests (Python's tarfile), and releasing them through the Slug API."""
import io
import tarfile
import urllib.request
import ssl


def slug_bytes(files, extra=None):
    """A tar.gz with ./app/<path> entries. `files` maps path -> text; `extra(tar)` adds more."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("./app",):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"./app/{path}")
            info.size = len(data)
            info.mode = 0o755 if path.endswith(".sh") else 0o644
            tar.addfile(info, io.BytesIO(data))
        if extra:
            extra(tar)
    return buf.getvalue()


def upload(server, url, data):
    """PUTs an archive to a slug's blob URL (no credentials: the URL is the capability)."""
    ctx = ssl.create_default_context(cafile=server.ca)
    req = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": ""})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def create_slug(server, app, process_types, commit=None):
    body = {"process_types": process_types}
    if commit:
        body["commit"] = commit
    r = server.request("POST", f"/apps/{app}/slugs", body)
    assert r.status == 201, r.raw
    return r.json


def release_slug(server, app, files, process_types, commit=None):
    """Creates, uploads and releases a slug; returns the release."""
    slug = create_slug(server, app, process_types, commit)
    status, body = upload(server, slug["blob"]["url"], slug_bytes(files))
    assert status == 200, body
    r = server.request("POST", f"/apps/{app}/releases", {"slug": slug["id"]})
    assert r.status == 201, r.raw
    return r.json


FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "apps"


def fixture_slug(name):
    """The files and Procfile process types of tests/fixtures/apps/<name>."""
    root = FIXTURES / name
    files = {p.name: p.read_text() for p in root.iterdir() if p.is_file()}
    types = {}
    for line in files["Procfile"].splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            types[k.strip()] = v.strip()
    return files, types


def release_fixture(server, app, name):
    files, types = fixture_slug(name)
    return release_slug(server, app, files, types)
