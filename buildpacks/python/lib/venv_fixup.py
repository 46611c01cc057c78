"""Makes the build's virtualenv work from wherever the slug is unpacked.

Run by bin/compile with the virtualenv's own python:
    .venv/bin/python venv_fixup.py VENV_DIR REQUIREMENTS_FILE

A virtualenv hard-codes its absolute path in a few places; the slug is unpacked at another path at
runtime. The interpreter itself is fine (bin/python3.X is a copy of the machine's python; Python
finds the venv from the pyvenv.cfg beside it, whose `home = /usr/bin` holds on any Debian machine
with that python), so this fixes the rest:

  1. Console scripts pip installed into .venv/bin start with `#!/build/path/.venv/bin/python`.
     Their first line becomes a two-line sh/Python header that runs the `python` beside the script,
     wherever that is (the same trick pip's own launcher uses for long paths).
  2. Requirements satisfied by Debian packages (python3-gunicorn, ...) have no script in .venv/bin,
     and their /usr/bin one (if any) would run the system python, which cannot see packages pip
     installed into the venv. Their console scripts get a launcher in .venv/bin, of the same kind.
  3. bin/activate* name the venv as $HOME/.venv (HOME is the app's directory in a dyno).
  4. Anything else that still names the build directory (editable installs: .pth, .egg-link) is
     reported: it will not work once the slug moves.
"""

import importlib.metadata
import os
import re
import sys

HEADER = (
    "#!/bin/sh\n"
    "'''exec' \"$(dirname -- \"$0\")/python\" \"$0\" \"$@\"\n"
    "' '''\n"
)


def requirement_names(path):
    """Top-level project names in a requirements file (options, -r/-e lines, URLs skipped)."""
    names = []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return names
    for line in lines:
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line or line.startswith("-") or "://" in line.split("@")[0]:
            continue
        m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        if m:
            names.append(m.group(0))
    return names


def inside(path, directory):
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return path == directory or path.startswith(directory + os.sep)


def write_script(path, body):
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER + body)
    os.chmod(path, 0o755)


def link_system_console_scripts(venv, names):
    linked = []
    bin_dir = os.path.join(venv, "bin")
    for name in names:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if inside(str(dist.locate_file("")), venv):
            continue  # pip installed it into the venv, with its scripts
        for ep in dist.entry_points:
            if ep.group != "console_scripts" or not ep.attr:
                continue
            target = os.path.join(bin_dir, ep.name)
            if os.path.lexists(target):
                continue
            head = ep.attr.partition(".")[0]
            write_script(
                target,
                f"# Written by Slipway's Python buildpack: {ep.name} from the machine's "
                f"{dist.metadata['Name']} package,\n# run by this virtualenv's python.\n"
                "import sys\n"
                f"from {ep.module} import {head}\n"
                "if __name__ == '__main__':\n"
                f"    sys.exit({ep.attr}())\n",
            )
            linked.append(ep.name)
    return linked


def relocate_shebangs(venv):
    fixed = []
    bin_dir = os.path.join(venv, "bin")
    prefix = ("#!" + bin_dir + "/python").encode()
    for entry in sorted(os.listdir(bin_dir)):
        path = os.path.join(bin_dir, entry)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            content = f.read()
        if not content.startswith(prefix):
            continue
        rest = content.split(b"\n", 1)[1] if b"\n" in content else b""
        with open(path, "wb") as f:
            f.write(HEADER.encode() + rest)
        fixed.append(entry)
    return fixed


def relocate_activate(venv):
    app_relative = "$HOME/" + os.path.basename(venv)
    for name in ("activate", "activate.csh", "activate.fish"):
        path = os.path.join(venv, "bin", name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(venv, app_relative))


def leftover_absolute_paths(venv, build_dir):
    found = []
    needle = build_dir.encode()
    for root, _, files in os.walk(venv):
        for name in files:
            if not name.endswith((".pth", ".egg-link")):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                if needle in f.read():
                    found.append(os.path.relpath(path, build_dir))
    return found


def main():
    venv = os.path.abspath(sys.argv[1])
    build_dir = os.path.dirname(venv)
    linked = link_system_console_scripts(venv, requirement_names(sys.argv[2]))
    fixed = relocate_shebangs(venv)
    relocate_activate(venv)
    if linked:
        print("Console scripts from the machine's packages: " + ", ".join(sorted(linked)))
    if fixed:
        print("Made relocatable: " + ", ".join(fixed))
    for path in leftover_absolute_paths(venv, build_dir):
        print(f"Warning: {path} names the build directory (an editable install?); "
              "it will not work at runtime")


if __name__ == "__main__":
    main()
