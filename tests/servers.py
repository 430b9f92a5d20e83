"""Real SPARQL servers for the remote-store tests, started on free loopback ports.

* Oxigraph: the ``oxigraph`` command of the ``oxigraph`` PyPI package (a test extra).
* Virtuoso open source 7 from Debian (``virtuoso-opensource-7-bin``; ``python3 dev.py test``
  installs it when apt is available): a plain ``virtuoso-t +foreground`` process with its
  database in a temporary folder and both ports on 127.0.0.1. Its SPARQL user is granted
  SPARQL_UPDATE (and graph write permission) through ``isql-vt`` so the Graph Store protocol
  works without authentication: acceptable for a throwaway test database only.

A missing binary skips the tests that need it, with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from graph_support import free_port, wait_for_http

ASK = urllib.parse.urlencode({"query": "ASK {}"})


def oxigraph_binary() -> str | None:
    here = Path(sys.executable).parent / "oxigraph"
    return str(here) if here.is_file() else shutil.which("oxigraph")


def start_oxigraph(folder: Path):
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the Oxigraph server is not installed (pip install 'oxigraph>=0.5.13,<0.6')")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait(url + "/query?" + ASK, proc)
    return url, proc


VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql}
DirsAllowed = ., {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
CheckpointInterval = 60
MaxQueryMem = 500M

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
MaxClientConnections = 5
ServerThreads = 5

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
DefaultQuery = ASK {{}}
"""


def start_virtuoso(folder: Path):
    binary, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if binary is None or isql is None:
        pytest.skip("Virtuoso is not installed (Debian: apt-get install virtuoso-opensource-7-bin; "
                    "python3 dev.py test installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    sql, http = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=folder, sql=sql, http=http))
    proc = subprocess.Popen([binary, "+foreground", "+configfile", str(ini)], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http}/sparql"
    _wait(url + "?" + ASK, proc, seconds=60)
    grant = subprocess.run(
        [isql, f"127.0.0.1:{sql}", "dba", "dba",
         "exec=GRANT SPARQL_UPDATE TO \"SPARQL\"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);"],
        capture_output=True, text=True, timeout=60)
    if grant.returncode or "Error" in grant.stdout + grant.stderr:
        stop(proc)
        raise RuntimeError(f"granting SPARQL_UPDATE failed: {grant.stdout} {grant.stderr}")
    return url, proc


def _wait(url, proc, seconds=20.0):
    try:
        wait_for_http(url, seconds, proc)
    except BaseException:
        stop(proc)
        raise


def stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
