"""dev.py installs the Debian packages the suite needs only when they are missing."""

from __future__ import annotations

import importlib.util

from conftest import ROOT


def load_dev():
    spec = importlib.util.spec_from_file_location("kg_dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_commands_and_files_are_installed_with_apt(monkeypatch, tmp_path):
    dev = load_dev()
    calls = []
    monkeypatch.setattr(dev, "run", lambda *cmd, **kw: calls.append([str(c) for c in cmd]) or 0)
    monkeypatch.setattr(dev.os, "geteuid", lambda: 0)
    monkeypatch.setattr(dev.shutil, "which", lambda cmd: "/usr/bin/apt-get" if cmd == "apt-get" else
                        ("/usr/bin/sh" if cmd == "sh" else None))
    present = tmp_path / "font.ttf"
    present.write_bytes(b"")
    dev.ensure_system_packages({"sh": "dash", "virtuoso-t": "virtuoso-opensource-7-bin",
                                str(tmp_path / "chromium"): "chromium", str(present): "fonts-x"})
    assert calls[0] == ["apt-get", "update", "-qq"]
    assert calls[1][:5] == ["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
    assert calls[1][5:] == ["virtuoso-opensource-7-bin", "chromium"]


def test_nothing_is_installed_when_all_is_there(monkeypatch, tmp_path):
    dev = load_dev()
    calls = []
    monkeypatch.setattr(dev, "run", lambda *cmd, **kw: calls.append(cmd) or 0)
    (tmp_path / "chromium").write_bytes(b"")
    dev.ensure_system_packages({"python3": "python3", str(tmp_path / "chromium"): "chromium"})
    assert calls == []
