"""Debian's Mosquitto broker on a free port, with persistence, for the MQTT tests."""

from __future__ import annotations

import getpass
import subprocess
from pathlib import Path

from tests.ingest.edge.ports import free_port, wait_listening

MOSQUITTO = "/usr/sbin/mosquitto"


class Broker:
    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()
        root.mkdir(parents=True, exist_ok=True)
        self.config = root / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            # Started as root, Mosquitto would become user mosquitto and could not write here.
            f"user {getpass.getuser()}\n"
            "persistence true\n"
            f"persistence_location {root}/\n"
            f"log_dest file {root}/mosquitto.log\n"
            "max_queued_messages 100000\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Broker:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        proc = self.proc
        wait_listening(self.port, "mosquitto", lambda: proc.poll() is None)
        return self

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its sessions and queued messages on the way out."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()
