#!/usr/bin/env python3
"""The timed part of bench/postgres/run: platform backups against the raw tools, and the plan
change's cut-over. bench/postgres/run starts the daemon, creates the app and its database and
fills it, then hands over here; see bench/README.md ("bench/postgres").

What is compared, on the same database, one after the other:

- capture: `heroku pg:backups:capture` (pg_dump -Fd -j <cores> -Z1 --no-sync in an exported
  snapshot, its files checked and their rows counted as they are written, the directory
  rewrapped as one custom-format archive, then a
  verification: pg_restore -j <cores> into a scratch database, the restored rows read from the
  server's counters, drop)
  against the same by hand: pg_dump -Fd -j N -Z1 --no-sync, CREATE DATABASE, pg_restore
  --no-owner --no-acl --exit-on-error -j N, DROP DATABASE; and against a default pg_dump -Fc;
- restore: `heroku pg:backups:restore` (pg_restore --no-owner --no-acl -j <cores> as the
  add-on's role into a new database, then swapped in place of the live one) against pg_restore
  --clean --if-exists by hand into the live database, and against the capture's raw restore into
  a new database;
- `heroku addons:upgrade` to a dedicated plan: the server's cut-over line, the maintenance
  window seen through the API, the copy's pg_dump and pg_restore.

A sampler thread reads /proc every 100 ms: when each pg_dump/pg_restore process starts (its
start time, 10 ms resolution) and was last seen, and the CPU time of the PostgreSQL servers
(postmaster + backends) and of the tools, which gives the cores a step used.
"""
import argparse
import datetime
import glob
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

CLK_TCK = os.sysconf("SC_CLK_TCK")
TOOLS = ("pg_dump", "pg_restore")
RUNNING = []  # subprocesses to stop on SIGTERM


def directory_size(path):
    return sum(os.path.getsize(os.path.join(path, n)) for n in os.listdir(path))


def now():
    """Seconds since boot: the clock /proc/<pid>/stat's start times use."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def log(msg):
    print(f"bench: {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def on_term(*_):
    for p in RUNNING:
        if p.poll() is None:
            p.terminate()
    sys.exit(143)


# --- /proc sampler ----------------------------------------------------------------------------
class Sampler(threading.Thread):
    def __init__(self, data_dir, server_pid, interval=0.1):
        super().__init__(daemon=True)
        self.data_dir, self.server_pid, self.interval = data_dir, server_pid, interval
        self.lock = threading.Lock()
        self.samples = []   # (t, cluster_cpu_s, tools_cpu_s, daemon_cpu_s, system_busy_s,
                            #  running, live_restore)
        self.tools = {}     # pid -> dict(comm, ppid, start, last, cpu, cmdline)
        self.postmasters = {}  # pid -> last cpu (s) of its tree
        self._pm_pids, self._pm_checked = [], 0.0
        self.stop_event = threading.Event()

    def _find_postmasters(self):
        pids = []
        pattern = [f"{self.data_dir}/postgres/shared/data/postmaster.pid",
                   f"{self.data_dir}/postgres/dedicated/*/data/postmaster.pid"]
        for p in pattern:
            for f in glob.glob(p):
                try:
                    pids.append(int(open(f).readline()))
                except (OSError, ValueError):
                    pass
        return pids

    @staticmethod
    def _scan():
        procs = {}
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/stat", "rb") as f:
                    data = f.read()
            except OSError:
                continue
            r = data.rindex(b")")
            comm = data[data.index(b"(") + 1:r].decode(errors="replace")
            f = data[r + 2:].split()
            procs[int(p)] = (comm, f[0].decode(), int(f[1]), int(f[11]) + int(f[12]),
                             int(f[13]) + int(f[14]), int(f[19]))
        return procs

    @staticmethod
    def _system_busy():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return (sum(v[:8]) - v[3] - v[4]) / CLK_TCK  # all but idle and iowait

    def run(self):
        while not self.stop_event.is_set():
            t = now()
            if t - self._pm_checked > 1.0:
                self._pm_pids, self._pm_checked = self._find_postmasters(), t
            procs = self._scan()
            running = 0
            with self.lock:
                for pm in self._pm_pids:
                    if pm not in procs:
                        continue
                    total = procs[pm][3] + procs[pm][4]
                    for pid, (comm, state, ppid, cpu, ccpu, _) in procs.items():
                        if ppid == pm:
                            total += cpu + ccpu
                            running += state == "R"
                    self.postmasters[pm] = total / CLK_TCK
                live_restore = 0
                for pid, (comm, state, ppid, cpu, ccpu, start) in procs.items():
                    if comm not in TOOLS:
                        continue
                    running += state == "R"
                    live_restore += comm == "pg_restore"
                    if procs.get(ppid, ("",))[0] in TOOLS:
                        continue  # a worker: counted in its parent's record
                    total = cpu + ccpu + sum(c[3] + c[4] for c in procs.values()
                                             if c[2] == pid and c[0] in TOOLS)
                    rec = self.tools.get(pid)
                    if rec is None or rec["start"] != start / CLK_TCK:
                        try:
                            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
                            cmd = [c.decode(errors="replace") for c in cmd if c]
                        except OSError:
                            cmd = []
                        rec = self.tools[pid] = dict(comm=comm, ppid=ppid, start=start / CLK_TCK,
                                                     last=t, cpu=0.0, cmdline=cmd, workers=0)
                    rec["last"] = t
                    rec["cpu"] = total / CLK_TCK
                    rec["workers"] = max(rec["workers"], sum(
                        1 for c in procs.values() if c[2] == pid and c[0] in TOOLS))
                daemon = procs.get(self.server_pid)
                daemon_cpu = daemon[3] / CLK_TCK if daemon else 0.0
                self.samples.append((t, sum(self.postmasters.values()),
                                     sum(r["cpu"] for r in self.tools.values()), daemon_cpu,
                                     self._system_busy(), running, live_restore))
            self.stop_event.wait(max(0.0, self.interval - (now() - t)))

    def tools_in(self, t0, t1, comm=None):
        with self.lock:
            return sorted((dict(pid=pid, **r) for pid, r in self.tools.items()
                           if t0 - 0.05 <= r["start"] <= t1 and (comm is None or r["comm"] == comm)),
                          key=lambda r: r["start"])

    def window(self, t0, t1):
        """CPU used between t0 and t1 (cores), and the mean number of running processes."""
        with self.lock:
            s = [x for x in self.samples if t0 - self.interval <= x[0] <= t1 + self.interval]
        if len(s) < 2:
            return dict(cluster=0.0, tools=0.0, daemon=0.0, system=0.0, running=0.0, restore=0)
        a, b = s[0], s[-1]
        dt = b[0] - a[0]
        inner = [x for x in s if t0 <= x[0] <= t1] or s
        return dict(cluster=(b[1] - a[1]) / dt, tools=(b[2] - a[2]) / dt,
                    daemon=(b[3] - a[3]) / dt, system=(b[4] - a[4]) / dt,
                    running=statistics.mean(x[5] for x in inner),
                    restore=max(x[6] for x in inner))

    def cluster_cores(self, seconds):
        with self.lock:
            s = [x for x in self.samples if x[0] >= self.samples[-1][0] - seconds]
        if len(s) < 2 or s[-1][0] == s[0][0]:
            return 1.0
        return (s[-1][1] - s[0][1]) / (s[-1][0] - s[0][0])


# --- the API ------------------------------------------------------------------------------------
class Api:
    def __init__(self, url, token, ca):
        u = urllib.parse.urlsplit(url)
        self.port, self.token = u.port, token
        self.ctx = ssl.create_default_context(cafile=ca)
        self.conn = None

    def get(self, path):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection("localhost", self.port,
                                                            context=self.ctx, timeout=30)
                self.conn.request("GET", path, headers={
                    "Accept": "application/vnd.heroku+json; version=3",
                    "Authorization": f"Bearer {self.token}"})
                resp = self.conn.getresponse()
                body = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                if resp.status != 200:
                    raise RuntimeError(f"GET {path}: {resp.status} {body[:300]!r}")
                return json.loads(body)
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.2)


# --- helpers --------------------------------------------------------------------------------------
class Bench:
    def __init__(self, a):
        self.a = a
        self.api = Api(a.api, a.token, a.ca)
        self.sampler = Sampler(a.data_dir, a.server_pid)
        self.heroku = os.environ.get("HEROKU", "heroku")
        u = urllib.parse.urlsplit(a.database_url)
        self.dbname = urllib.parse.unquote(u.path.lstrip("/"))
        base = {"LC_ALL": "C", "PGPASSFILE": "/dev/null", "PGCONNECT_TIMEOUT": "10",
                "PATH": os.environ["PATH"], "PGSSLMODE": "disable"}
        self.role_env = dict(base, PGHOST=u.hostname, PGPORT=str(u.port),
                             PGUSER=urllib.parse.unquote(u.username),
                             PGPASSWORD=urllib.parse.unquote(u.password or ""),
                             PGDATABASE=self.dbname, PGAPPNAME="bench-raw")
        shared = os.path.join(a.data_dir, "postgres", "shared")
        self.admin_env = dict(base, PGHOST="127.0.0.1",
                              PGPORT=open(os.path.join(shared, "port")).read().strip(),
                              PGUSER="slipway",
                              PGPASSWORD=open(os.path.join(shared, "admin-password")).read().strip(),
                              PGDATABASE=self.dbname, PGAPPNAME="bench-raw")
        self.results = {"rounds": []}
        self.n = 0

    def pg(self, name):
        return os.path.join(self.a.pg_bin, name)

    def psql(self, sql, env=None, db=None):
        env = dict(env or self.admin_env)
        if db:
            env["PGDATABASE"] = db
        out = subprocess.run([self.pg("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              "-c", sql], env=env, capture_output=True, text=True, timeout=3600)
        if out.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {out.stderr.strip()}")
        return out.stdout.strip()

    def cli(self, *args, timeout=7200):
        self.n += 1
        out = os.path.join(self.a.work, f"heroku-{self.n}.out")
        with open(out, "w") as f:
            p = subprocess.Popen([self.heroku, *args], stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        RUNNING.append(p)
        return p, out

    def tool(self, label, argv, env):
        """Runs one raw tool, returns its wall time and CPU."""
        self.n += 1
        out = os.path.join(self.a.work, f"tool-{self.n}.out")
        t0 = now()
        with open(out, "w") as f:
            p = subprocess.Popen(argv, env=env, stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
            RUNNING.append(p)
            p.wait()
        t1 = now()
        if p.returncode != 0:
            raise RuntimeError(f"{label} failed ({p.returncode}): {open(out).read()[-2000:]}")
        time.sleep(2 * self.sampler.interval)  # the sampler's view of the end
        w = self.sampler.window(t0, t1)
        log(f"{label}: {t1 - t0:.2f} s")
        return dict(wall=t1 - t0, t0=t0, t1=t1, cores=w["cluster"] + w["tools"],
                    running=w["running"], workers=w["restore"], system=w["system"])

    def quiesce(self, vacuum=False):
        """A clean start for the next step: VACUUM ANALYZE after a restore (or autovacuum would
        do it during the next step), a CHECKPOINT, and the servers idle for a second."""
        if vacuum:
            t0 = now()
            self.psql("VACUUM ANALYZE")
            log(f"(not timed) VACUUM ANALYZE: {now() - t0:.1f} s")
        self.psql("CHECKPOINT")
        deadline = now() + 60
        time.sleep(1.0)
        while now() < deadline and self.sampler.cluster_cores(1.0) > 0.05:
            time.sleep(0.5)

    def transfers(self):
        return self.api.get(f"/client/v11/apps/{self.a.app}/transfers")

    def platform_transfer(self, args, kind):
        """Runs a heroku pg:backups command and follows its transfer through the API."""
        before = {t["uuid"] for t in self.transfers()}
        t0 = now()
        p, out = self.cli(*args)
        uuid = seen = finished = None
        while True:
            done = p.poll() is not None
            if uuid:  # one GET of the transfer itself every 0.1 s once it is known
                found = [self.api.get(f"/client/v11/apps/{self.a.app}/transfers/{uuid}")]
            else:
                found = self.transfers()
            for t in found:
                if t["uuid"] in before or t["uuid"] != (uuid or t["uuid"]):
                    continue
                if kind == "backup" and not (t["from_type"] == "pg_dump" and t["to_type"] == "gof3r"):
                    continue
                if kind == "restore" and t["to_type"] != "pg_restore":
                    continue
                uuid = t["uuid"]
                seen = seen or now()
                if t["finished_at"] and not finished:
                    finished = now()
            if done:
                break
            time.sleep(0.1)
        t1 = now()
        text = open(out).read()
        if p.returncode != 0 or uuid is None:
            raise RuntimeError(f"heroku {' '.join(args)} failed ({p.returncode}):\n{text}")
        t = self.api.get(f"/client/v11/apps/{self.a.app}/transfers/{uuid}")
        if not t.get("succeeded"):
            raise RuntimeError(f"transfer {t.get('name')} did not succeed: {json.dumps(t)[:3000]}")
        time.sleep(2 * self.sampler.interval)
        tools = [r for r in self.sampler.tools_in(t0, t1) if r["ppid"] == self.a.server_pid]
        # The transfer starts when the POST creates it: first seen by the poll, or when its first
        # tool started if that was earlier (the poll is 0.1 s apart).
        start = min([seen] + [r["start"] for r in tools])
        return dict(cli=t1 - t0, t0=t0, t1=t1, server=(finished or t1) - start, seen=start,
                    finished=finished or t1, transfer=t, tools=tools)

    # --- the steps ---------------------------------------------------------------------------
    def sizes(self):
        q = ("SELECT pg_database_size(current_database()),"
             " coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE relname LIKE 'pgbench%'), 0),"
             " coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE relname = 'bench_notes'), 0)"
             " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
             " WHERE n.nspname = 'public' AND c.relkind = 'r'")
        db, pgb, notes = (int(x) for x in self.psql(q).split("|"))
        rows = int(self.psql("SELECT (SELECT count(*) FROM pgbench_accounts)"
                             " + (SELECT count(*) FROM bench_notes)"))
        return dict(database=db, pgbench=pgb, notes=notes, rows=rows)

    def raw_default_dump(self, r):
        f = os.path.join(self.a.work, "default.dump")
        res = self.tool("raw pg_dump -Fc (default, gzip 6)",
                        [self.pg("pg_dump"), "--format=custom", f"--file={f}"], self.admin_env)
        res["size"] = os.path.getsize(f)
        os.remove(f)
        r["raw_default_dump"] = res

    def raw_capture(self, r):
        f = os.path.join(self.a.work, "z1.dir")
        dump = self.tool(f"raw pg_dump -Fd -j {self.a.jobs} -Z1 --no-sync",
                         [self.pg("pg_dump"), "--format=directory", f"--jobs={self.a.jobs}",
                          "--compress=1", "--no-sync", f"--file={f}"], self.admin_env)
        dump["size"] = directory_size(f)
        scratch = "bench_scratch"
        t0 = now()
        self.psql(f"CREATE DATABASE {scratch}")
        create = now() - t0
        env = dict(self.admin_env, PGDATABASE=scratch)
        restore = self.tool(f"raw pg_restore -j {self.a.jobs} into a scratch database",
                            [self.pg("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error",
                             f"--jobs={self.a.jobs}", f"--dbname={scratch}", f], env)
        # Not part of the raw tools' time: what the platform adds after its verification
        # restore, by hand, to account for its extra time (count every table, hash the archive).
        t0 = now()
        self.psql(self.count_sql(), db=scratch)
        counts = now() - t0
        t0 = now()
        self.psql(f"DROP DATABASE {scratch} WITH (FORCE)")
        drop = now() - t0
        t0 = now()
        h = hashlib.sha256()
        for name in sorted(os.listdir(f)):
            with open(os.path.join(f, name), "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
                os.fsync(fh.fileno())
        sha = now() - t0
        shutil.rmtree(f)
        r["raw_capture"] = dict(dump=dump, create=create, restore=restore, drop=drop,
                                total=dump["wall"] + create + restore["wall"] + drop,
                                counts=counts, sha256=sha)

    def count_sql(self):
        tables = self.psql("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
                           " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'"
                           " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                           " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1").split()
        return "; ".join(f"SELECT count(*) FROM {t}" for t in tables)

    def raw_extras(self, r):
        """Diagnostics, not in the ratios: the parallel pg_dump with the rows counted alongside
        in a REPEATABLE READ transaction (the platform's dump step before it counted the rows in
        the dump's own files), the single-process pg_dump -Fc -Z1 (the platform's dump before
        that; its archive is what the raw restores restore), and pg_dump -Z0."""
        f = os.path.join(self.a.work, "extra.dir")
        sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; " + self.count_sql() + "; COMMIT"
        t0 = now()
        counter = subprocess.Popen([self.pg("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                                    sql], env=self.admin_env, stdout=subprocess.DEVNULL)
        RUNNING.append(counter)
        dump = self.tool("raw pg_dump -Fd -j N -Z1 --no-sync, every table counted alongside",
                         [self.pg("pg_dump"), "--format=directory", f"--jobs={self.a.jobs}",
                          "--compress=1", "--no-sync", f"--file={f}"], self.admin_env)
        counter.wait()
        dump["both"] = now() - t0
        shutil.rmtree(f)
        self.quiesce()
        z1 = os.path.join(self.a.work, "z1.dump")
        single = self.tool("raw pg_dump -Fc -Z1 --no-sync (one process)",
                           [self.pg("pg_dump"), "--format=custom", "--compress=1", "--no-sync",
                            f"--file={z1}"], self.admin_env)
        single["size"] = os.path.getsize(z1)
        self.quiesce()
        f = os.path.join(self.a.work, "extra.dump")
        z0 = self.tool("raw pg_dump -Fc -Z0 --no-sync",
                       [self.pg("pg_dump"), "--format=custom", "--compress=0", "--no-sync",
                        f"--file={f}"], self.admin_env)
        z0["size"] = os.path.getsize(f)
        os.remove(f)
        r["raw_extras"] = dict(dump_counting=dump, single=single, z0=z0)

    def platform_capture(self, r):
        res = self.platform_transfer(["pg:backups:capture", "-a", self.a.app], "backup")
        dumps = [x for x in res["tools"] if x["comm"] == "pg_dump"]
        verifies = [x for x in res["tools"] if x["comm"] == "pg_restore"
                    and any("slipway_verify_" in c for c in x["cmdline"])]
        if not dumps or not verifies:
            raise RuntimeError(f"did not see the capture's pg_dump and pg_restore: {res['tools']}")
        # A restore whose large tables the daemon loads itself runs pg_restore three times
        # (pre-data, the rest of the data, post-data): the step spans all of them, and its cores
        # count the daemon's loading threads too.
        d = dumps[0]
        v = dict(start=min(x["start"] for x in verifies), last=max(x["last"] for x in verifies),
                 cmdline=verifies[-1]["cmdline"])
        res["dump"] = dict(wall=d["last"] - d["start"], cmdline=d["cmdline"])
        w = self.sampler.window(v["start"], v["last"])
        res["verify"] = dict(wall=v["last"] - v["start"], cmdline=v["cmdline"],
                             cores=w["cluster"] + w["tools"] + w["daemon"], running=w["running"],
                             workers=w["restore"], runs=len(verifies))
        res["before_dump"] = d["start"] - res["seen"]
        res["between"] = v["start"] - d["last"]
        res["after_verify"] = res["finished"] - v["last"]
        res["name"] = res["transfer"]["name"]
        res["size"] = res["transfer"]["processed_bytes"]
        res["verification"] = res["transfer"].get("verification")
        log(f"platform capture {res['name']}: CLI {res['cli']:.2f} s, server {res['server']:.2f} s"
            f" (pg_dump {res['dump']['wall']:.2f} s, verification pg_restore {res['verify']['wall']:.2f} s)")
        r["platform_capture"] = res

    def platform_restore(self, r, backup):
        res = self.platform_transfer(["pg:backups:restore", backup, "DATABASE", "--confirm",
                                      self.a.app, "-a", self.a.app], "restore")
        restores = [x for x in res["tools"] if x["comm"] == "pg_restore"
                    and "--list" not in x["cmdline"]]
        if not restores:
            raise RuntimeError(f"did not see the restore's pg_restore: {res['tools']}")
        x = dict(start=min(y["start"] for y in restores), last=max(y["last"] for y in restores),
                 cmdline=restores[-1]["cmdline"])
        w = self.sampler.window(x["start"], x["last"])
        res["restore"] = dict(wall=x["last"] - x["start"], cmdline=x["cmdline"],
                              cores=w["cluster"] + w["tools"] + w["daemon"], running=w["running"],
                              workers=w["restore"], system=w["system"], runs=len(restores),
                              daemon=w["daemon"])
        log(f"platform restore of {backup}: CLI {res['cli']:.2f} s, server {res['server']:.2f} s"
            f" ({len(restores)} pg_restore run(s) over {x['last'] - x['start']:.2f} s,"
            f" {res['restore']['cores']:.2f} cores, of which the daemon {w['daemon']:.2f})")
        r["platform_restore"] = res

    def raw_restore(self, r):
        f = os.path.join(self.a.work, "z1.dump")
        r["raw_restore"] = self.tool(
            f"raw pg_restore -j {self.a.jobs} --clean --if-exists (as the add-on's role)",
            [self.pg("pg_restore"), "--no-owner", "--no-acl", f"--jobs={self.a.jobs}", "--clean",
             "--if-exists", f"--dbname={self.dbname}", f], self.role_env)

    def raw_restore_new(self, r):
        """What the platform's restore runs, by hand: CREATE DATABASE owned by the add-on's role,
        then the same pg_restore as the server's admin acting as that role; dropped afterwards,
        not timed."""
        f = os.path.join(self.a.work, "z1.dump")
        scratch = "bench_restored"
        t0 = now()
        self.psql(f"CREATE DATABASE {scratch} OWNER \"{self.role_env['PGUSER']}\"")
        create = now() - t0
        restore = self.tool(
            f"raw pg_restore -j {self.a.jobs} --role into a new database",
            [self.pg("pg_restore"), "--no-owner", "--no-acl", f"--jobs={self.a.jobs}",
             f"--role={self.role_env['PGUSER']}", f"--dbname={scratch}", f],
            dict(self.admin_env, PGDATABASE=scratch))
        self.psql(f"DROP DATABASE {scratch} WITH (FORCE)")
        r["raw_restore_new"] = dict(restore, create=create, total=create + restore["wall"])

    def cold_page_cache(self):
        """Each restore starts with the OS page cache dropped. This VM hands freed memory back
        to its host (virtio-balloon free page reporting); a restore writing into memory freed
        a moment earlier by its own DROPs (the raw --clean in place) is then ~25 % faster than
        one writing into memory the host must fault in again (a new database), which is the
        VM's doing, not the tools'. Dropping the cache puts every restore in the second case."""
        if not self.a.drop_caches:
            return
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1\n")

    def upgrade(self):
        addons = self.api.get(f"/apps/{self.a.app}/addons")
        addon = next(x for x in addons if x["addon_service"]["name"] == "heroku-postgresql")
        logfile = self.a.server_log
        offset = os.path.getsize(logfile)
        maint = []  # (t, on)
        t0 = now()
        p, out = self.cli("addons:upgrade", "DATABASE", self.a.upgrade_plan, "-a", self.a.app)
        cli_done = None
        cutover = failed = switched = None
        deadline = t0 + float(os.environ.get("BENCH_UPGRADE_TIMEOUT", "3600"))
        while now() < deadline:
            if cli_done is None and p.poll() is not None:
                cli_done = now()
                if p.returncode != 0:
                    raise RuntimeError(f"heroku addons:upgrade failed:\n{open(out).read()}")
            on = self.api.get(f"/apps/{self.a.app}")["maintenance"]
            if not maint or maint[-1][1] != on:
                maint.append((now(), on))
            with open(logfile, errors="replace") as f:
                f.seek(offset)
                text = f.read()
            m = re.search(r"the cut-over \(maintenance on to off\) took (\d+) ms", text)
            if m:
                cutover = int(m.group(1))
            m = re.search(r"failed, rolling back: (.*)", text)
            if m:
                failed = m.group(1)
            plan = self.api.get(f"/apps/{self.a.app}/addons/{addon['id']}")["plan"]["name"]
            if plan == self.a.upgrade_plan and switched is None:
                switched = now()
            # Done once the plan shows, the CLI has returned and maintenance is off again; the
            # cut-over line follows at once (a binary that logs none gets 10 s of grace).
            if failed or (switched and cli_done and not maint[-1][1]
                          and (cutover is not None or now() - switched > 10)):
                break
            time.sleep(0.2)
        t1 = now()
        if failed:
            raise RuntimeError(f"the plan change failed: {failed}")
        if switched is None:
            raise RuntimeError("the plan change did not finish in time")
        # The server log's own timestamps (spdlog, microseconds) for the plan change's steps.
        stamps = {}
        for label, pat in (("start", "changing plan"), ("provisioned", "provisioned dedicated"),
                           ("verified", "copy verified"), ("end", "the cut-over (maintenance")):
            m = re.search(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)\S* \S+: [^\n]*"
                          + re.escape(pat), text, re.M)
            if m:
                stamps[label] = datetime.datetime.fromisoformat(m.group(1)).timestamp()
        time.sleep(2 * self.sampler.interval)
        tools = [x for x in self.sampler.tools_in(t0, t1) if x["ppid"] == self.a.server_pid]
        on_at = next((t for t, on in maint if on), None)
        off_at = next((t for t, on in maint if not on and on_at and t > on_at), None)
        res = dict(cli=(cli_done or t1) - t0, total=t1 - t0, cutover_ms=cutover,
                   stamps=stamps,
                   maintenance_seen=(off_at - on_at) if on_at and off_at else None,
                   tools=[dict(comm=x["comm"], wall=x["last"] - x["start"],
                               args=[c for c in x["cmdline"][1:] if c.startswith("--")
                                     and not c.startswith(("--file", "--dbname", "--role"))])
                          for x in tools])
        new_url = subprocess.run([self.heroku, "config:get", "DATABASE_URL", "-a", self.a.app],
                                 capture_output=True, text=True).stdout.strip()
        u = urllib.parse.urlsplit(new_url)
        env = dict(self.role_env, PGHOST=u.hostname, PGPORT=str(u.port),
                   PGUSER=urllib.parse.unquote(u.username),
                   PGPASSWORD=urllib.parse.unquote(u.password or ""),
                   PGDATABASE=urllib.parse.unquote(u.path.lstrip("/")))
        res["rows_after"] = int(self.psql("SELECT (SELECT count(*) FROM pgbench_accounts)"
                                          " + (SELECT count(*) FROM bench_notes)", env=env))
        log(f"upgrade: cut-over {cutover} ms, total {res['total']:.1f} s")
        return res

    def run(self):
        a = self.a
        self.sampler.start()
        time.sleep(0.3)
        self.results["sizes"] = self.sizes()
        s = self.results["sizes"]
        log(f"database: {s['database'] / 2**20:.0f} MiB (pg_database_size), pgbench tables"
            f" {s['pgbench'] / 2**20:.0f} MiB, bench_notes {s['notes'] / 2**20:.0f} MiB")
        for i in range(a.rounds):
            r = {}
            self.results["rounds"].append(r)
            platform_first = i % 2 == 0
            self.quiesce()
            self.raw_default_dump(r)
            for step in ((self.platform_capture, self.raw_capture) if platform_first
                         else (self.raw_capture, self.platform_capture)):
                self.quiesce()
                step(r)
            self.quiesce()
            self.raw_extras(r)
            backup = r["platform_capture"]["name"]
            steps = [lambda: self.platform_restore(r, backup), lambda: self.raw_restore(r),
                     lambda: self.raw_restore_new(r)]
            # Rotated, so each restore comes first in one round of three: the first restore
            # after the captures runs slower here, whichever it is.
            for step in steps[i % 3:] + steps[:i % 3]:
                self.quiesce()
                self.cold_page_cache()
                self.quiesce()
                step()
                self.quiesce(vacuum=True)
        if a.upgrade_plan:
            self.quiesce()
            self.results["upgrade"] = self.upgrade()
        self.sampler.stop_event.set()
        with open(os.path.join(a.work, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1, default=str)
        report(self.results, a)


# --- report ---------------------------------------------------------------------------------------
def report(res, a):
    rounds = res["rounds"]
    mib = 2 ** 20

    def med(f):
        vals = [f(r) for r in rounds]
        return statistics.median(vals), vals

    def row(label, f, unit="s"):
        m, vals = med(f)
        each = "" if len(vals) == 1 else "   " + str([round(v, 2) for v in vals])
        print(f"  {label:<66}{m:>8.2f} {unit}{each}")
        return m

    def ratio(x, y):
        return f"{x / y:.2f}x" if y else "n/a"

    s = res["sizes"]
    pc = lambda r: r["platform_capture"]
    rc = lambda r: r["raw_capture"]
    pr = lambda r: r["platform_restore"]
    print()
    print(f"database: pgbench scale {a.scale} + bench_notes (~{a.text_mb} MB of md5 text) on"
          f" {a.plan}: {s['database'] / mib:.0f} MiB (pg_database_size; pgbench tables"
          f" {s['pgbench'] / mib:.0f} MiB, bench_notes {s['notes'] / mib:.0f} MiB, with indexes)")
    print(f"{os.cpu_count()} cores; raw pg_restore -j {a.jobs}; {len(rounds)} round(s):"
          f" medians{'' if len(rounds) == 1 else ', then each round'}")
    print()
    print("capture")
    cli = row("platform: heroku pg:backups:capture, as the CLI shows it", lambda r: pc(r)["cli"])
    srv = row("platform: the transfer, created -> finished (server side)", lambda r: pc(r)["server"])
    row("  created -> pg_dump starts", lambda r: pc(r)["before_dump"])
    pdump = row(f"  pg_dump -Fd -j {a.jobs} -Z1 --no-sync --snapshot (files followed)",
                lambda r: pc(r)["dump"]["wall"])
    row("  pg_dump exits -> verification starts (rewrap, other counts, CREATE)",
        lambda r: pc(r)["between"])
    pstep = row("  pg_dump starts -> verification starts: the dump step, one archive",
                lambda r: pc(r)["dump"]["wall"] + pc(r)["between"])
    pver = row(f"  verification: pg_restore -j into a scratch database",
               lambda r: pc(r)["verify"]["wall"])
    row("  verification ends -> finished (counts, DROP, sha256, fsync)",
        lambda r: pc(r)["after_verify"])
    rdump = row(f"raw: pg_dump -Fd -j {a.jobs} -Z1 --no-sync (a directory)",
                lambda r: rc(r)["dump"]["wall"])
    row("raw: CREATE DATABASE scratch", lambda r: rc(r)["create"])
    rres = row(f"raw: pg_restore --no-owner --no-acl --exit-on-error -j {a.jobs} into it",
               lambda r: rc(r)["restore"]["wall"])
    row("raw: DROP DATABASE scratch", lambda r: rc(r)["drop"])
    rtot = row("raw: the four (the platform's capture, by hand)", lambda r: rc(r)["total"])
    rdef = row("raw: pg_dump -Fc (default: gzip level 6)", lambda r: r["raw_default_dump"]["wall"])
    print("  to account for the platform's extra time (not in the ratios):")
    row(f"  raw: pg_dump -Fd -j {a.jobs} -Z1 --no-sync, every table counted alongside",
        lambda r: r["raw_extras"]["dump_counting"]["wall"])
    rsingle = row("  raw: pg_dump -Fc -Z1 --no-sync (one process, one archive)",
                  lambda r: r["raw_extras"]["single"]["wall"])
    row("  raw: count(*) of every table in the scratch database",
        lambda r: rc(r)["counts"])
    row("  raw: sha256 + fsync of the dump's files (python hashlib)", lambda r: rc(r)["sha256"])
    row("  raw: pg_dump -Fc -Z0 --no-sync (no compression)", lambda r: r["raw_extras"]["z0"]["wall"])
    print(f"  archives: -Fd -Z1 {med(lambda r: rc(r)['dump']['size'])[0] / mib:.1f} MiB by hand,"
          f" -Fc -Z1 {med(lambda r: r['raw_extras']['single']['size'])[0] / mib:.1f} MiB,"
          f" {med(lambda r: pc(r)['size'])[0] / mib:.1f} MiB by the platform;"
          f" default -Fc {med(lambda r: r['raw_default_dump']['size'])[0] / mib:.1f} MiB,"
          f" -Z0 {med(lambda r: r['raw_extras']['z0']['size'])[0] / mib:.1f} MiB")
    print(f"  the platform's verification: {rounds[-1]['platform_capture']['verification']}")
    print()
    print("restore")
    prcli = row("platform: heroku pg:backups:restore, as the CLI shows it", lambda r: pr(r)["cli"])
    prsrv = row("platform: the transfer, created -> finished (server side)",
                lambda r: pr(r)["server"])
    prr = row("  pg_restore --no-owner --no-acl -j into a new database",
              lambda r: pr(r)["restore"]["wall"])
    rr = row(f"raw: pg_restore --no-owner --no-acl -j {a.jobs} --clean --if-exists",
             lambda r: r["raw_restore"]["wall"])
    rrn = row(f"raw: pg_restore --no-owner --no-acl -j {a.jobs} --role into a new database",
              lambda r: r["raw_restore_new"]["wall"])
    rrnt = row("raw: CREATE DATABASE + that pg_restore", lambda r: r["raw_restore_new"]["total"])
    print("  every restore starts with the OS page cache dropped" if a.drop_caches else
          "  the page cache is not dropped before the restores (BENCH_DROP_CACHES=0 or not root)")
    print()
    print(f"CPU: PostgreSQL server + pg_restore processes, in cores (of {os.cpu_count()})")
    row("platform restore: cores used", lambda r: pr(r)["restore"]["cores"], "")
    row("platform restore: processes running, mean", lambda r: pr(r)["restore"]["running"], "")
    row("platform restore: pg_restore processes at once, most",
        lambda r: pr(r)["restore"]["workers"], "")
    row("raw restore: cores used", lambda r: r["raw_restore"]["cores"], "")
    row("raw restore into a new database: cores used",
        lambda r: r["raw_restore_new"]["cores"], "")
    row("platform verification restore: cores used", lambda r: pc(r)["verify"]["cores"], "")
    row("raw scratch restore: cores used", lambda r: rc(r)["restore"]["cores"], "")
    row("whole machine, during the platform restore: cores busy",
        lambda r: pr(r)["restore"]["system"], "")
    print()
    print("ratios, platform / raw with the same settings (target: <= 1.05)")
    print(f"  capture, pg_dump:               platform / raw                     {ratio(pdump, rdump)}")
    print(f"  capture, the dump step (pg_dump + rewrap) / raw pg_dump -Fd         {ratio(pstep, rdump)}")
    print(f"  capture, verification restore:  platform / raw                     {ratio(pver, rres)}")
    print(f"  capture, server side / raw pg_dump + CREATE + pg_restore + DROP    {ratio(srv, rtot)}")
    print(f"  capture, as the CLI shows it / the same                            {ratio(cli, rtot)}")
    print(f"  restore, pg_restore:            platform / raw into a new database {ratio(prr, rrn)}")
    print(f"  restore, server side / raw CREATE DATABASE + pg_restore            {ratio(prsrv, rrnt)}")
    print(f"  restore, as the CLI shows it / the same                            {ratio(prcli, rrnt)}")
    print(f"  restore, server side / raw pg_restore --clean in place             {ratio(prsrv, rr)}")
    print("speed-up over a default pg_dump -Fc (target: capture >= 2x faster)")
    print(f"  default pg_dump -Fc / the platform's dump step (pg_dump + rewrap)  {ratio(rdef, pstep)}")
    print(f"  default pg_dump -Fc / the platform's pg_dump                       {ratio(rdef, pdump)}")
    print(f"  default pg_dump -Fc / the platform's whole capture (server side)   {ratio(rdef, srv)}")
    print(f"  default pg_dump -Fc / raw pg_dump -Fd -j N -Z1                     {ratio(rdef, rdump)}")
    print(f"  default pg_dump -Fc / raw pg_dump -Fc -Z1 (one process)            {ratio(rdef, rsingle)}")
    print(f"  default pg_dump -Fc / raw pg_dump -Z0                              "
          f"{ratio(rdef, med(lambda r: r['raw_extras']['z0']['wall'])[0])}")
    up = res.get("upgrade")
    if up:
        st = up["stamps"]
        gap = lambda x, y: f"{st[y] - st[x]:.2f} s" if x in st and y in st else "n/a"
        print()
        print(f"heroku addons:upgrade DATABASE {a.upgrade_plan}")
        print(f"  the CLI command (answers at once)                                  {up['cli']:.2f} s")
        print(f"  server log: 'changing plan' -> 'provisioned dedicated instance'    "
              f"{gap('start', 'provisioned')}")
        print(f"  cut-over: server log 'maintenance on to off'                       "
              f"{up['cutover_ms']} ms")
        for t in up["tools"]:
            print(f"    {t['comm']} {' '.join(t['args'])}: {t['wall']:.2f} s")
        print(f"    server log: 'copy verified' -> 'now on' (switch, releases)       "
              f"{gap('verified', 'end')}")
        ms = up["maintenance_seen"]
        print(f"  maintenance on -> off, seen through the API (polled every 0.2 s)   "
              f"{'n/a' if ms is None else f'{ms * 1000:.0f} ms'}")
        print(f"  server log: 'changing plan' -> 'now on'                            "
              f"{gap('start', 'end')}")
        print(f"  command start -> new plan shown, maintenance off (seen here)       "
              f"{up['total']:.2f} s")
        print(f"  rows in pgbench_accounts + bench_notes on the new database: {up['rows_after']}"
              f" (before: {s['rows']})")
    print()
    print(f"Load average before / after: {a.load_before} /"
          f" {' '.join(open('/proc/loadavg').read().split()[:3])}")


def main():
    ap = argparse.ArgumentParser()
    for name in ("api", "token", "ca", "data-dir", "server-log", "app", "database-url", "pg-bin",
                 "work", "upgrade-plan", "plan", "load-before"):
        ap.add_argument("--" + name, default="")
    for name in ("server-pid", "jobs", "rounds", "scale", "text-mb", "drop-caches"):
        ap.add_argument("--" + name, type=int, default=1)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    Bench(a).run()


if __name__ == "__main__":
    main()
