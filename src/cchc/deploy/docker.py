"""Docker for the deployment's test (and a server without a registry): start dockerd when
none runs, make the Debian base image with debootstrap when it cannot be pulled, and drive
`docker compose` (v2) or Debian's `docker-compose` (1.29) with the CI override.

dockerd is started without its default bridge and without iptables rules: the CI stack runs
on the host's network (docker-compose.ci.yml), so no container gets a private-range address.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

BASE_IMAGE = "cchc-debian:bookworm"
DEBIAN_SUITE = "bookworm"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def docker_ready() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def ensure_dockerd(log_path: Path, timeout: float = 60) -> subprocess.Popen | None:
    """Start dockerd (no bridge, no iptables) when no daemon answers; returns the process
    started, None when one was already running."""
    if docker_ready():
        return None
    log = open(log_path, "ab")
    process = subprocess.Popen(["dockerd", "--bridge=none", "--iptables=false", "--ip6tables=false"],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dockerd exited ({process.returncode}); see {log_path}")
        if docker_ready():
            return process
        time.sleep(1)
    process.terminate()
    raise TimeoutError(f"dockerd did not answer within {timeout:.0f} s; see {log_path}")


def apt_mirror(sources: list[str]) -> str | None:
    """The Debian mirror apt uses, from the texts of sources.list (one-line format) and
    sources.list.d/*.sources (deb822): the first URI serving the main archive."""
    for text in sources:
        for line in text.splitlines():
            one_line = re.match(r"\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line)
            if one_line and not one_line.group(2).endswith(("-security", "/updates")):
                return one_line.group(1)
        for stanza in re.split(r"\n\s*\n", text):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.MULTILINE)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.MULTILINE)
            if uris and suites and any(not s.endswith("-security") for s in suites.group(1).split()):
                return uris.group(1)
    return None


def host_apt_mirror(root: Path = Path("/etc/apt")) -> str:
    files = [root / "sources.list", *sorted((root / "sources.list.d").glob("*"))]
    texts = [f.read_text(errors="replace") for f in files if f.is_file()]
    return apt_mirror(texts) or "http://deb.debian.org/debian"


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def ensure_base_image(tag: str = BASE_IMAGE, work_dir: Path | None = None) -> bool:
    """Make ``tag`` from Debian's packages (debootstrap minbase, then docker import) when it
    is missing; returns True when it was made."""
    if image_exists(tag):
        return False
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        rootfs = Path(tmp) / "rootfs"
        subprocess.run(["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(rootfs), host_apt_mirror()],
                       check=True, capture_output=True)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(["docker", "import", "-", tag], stdin=tar.stdout, check=True, capture_output=True)
        tar.stdout.close()
        if tar.wait() != 0:
            raise RuntimeError("tar of the debootstrap root failed")
    return True


def trust_host_ca(project_root: Path) -> None:
    """The host's CA bundle into the build context (docker/ca-certificates/, not committed):
    the images then reach the package index the way the host does."""
    if HOST_CA_BUNDLE.exists():
        shutil.copyfile(HOST_CA_BUNDLE, project_root / "docker" / "ca-certificates" / "host.crt")


def compose_program() -> list[str] | None:
    """`docker compose` (v2 plugin) if available, else Debian's `docker-compose`, else None."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                 capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@dataclass
class Compose:
    """One compose project: its files, its .env and its name."""

    project_root: Path
    project: str
    env_file: Path
    files: tuple[str, ...] = ("docker-compose.yml",)
    profiles: tuple[str, ...] = ()
    program: list[str] = field(default_factory=lambda: compose_program() or ["docker-compose"])

    def command(self, *args: str) -> list[str]:
        files = [a for f in self.files for a in ("-f", str(self.project_root / f))]
        profiles = [a for p in self.profiles for a in ("--profile", p)]
        return [*self.program, "--project-directory", str(self.project_root), "-p", self.project,
                "--env-file", str(self.env_file), *files, *profiles, *args]

    def with_profiles(self, *profiles: str) -> Compose:
        """The same project with more profiles active (e.g. `tools` for the backup service)."""
        return replace(self, profiles=(*self.profiles, *profiles))

    def run(self, *args: str, timeout: float = 3600, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(self.command(*args), capture_output=True, text=True, timeout=timeout,
                              cwd=self.project_root, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:3])} failed ({proc.returncode}):\n"
                               f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def container(self, service: str) -> str:
        return self.run("ps", "-q", service).stdout.strip()

    def health(self, service: str) -> str:
        """healthy / unhealthy / starting / none (no health check) / missing (no container)."""
        container = self.container(service)
        if not container:
            return "missing"
        state = json.loads(subprocess.run(["docker", "inspect", "--format", "{{json .State}}", container],
                                          capture_output=True, text=True, check=True).stdout)
        return state.get("Health", {}).get("Status", "none")

    def wait_healthy(self, services: list[str], timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {s: self.health(s) for s in services}
            if all(state == "healthy" for state in states.values()):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"not healthy after {timeout:.0f} s: {states}")
            time.sleep(5)
