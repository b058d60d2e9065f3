"""Network namespaces for the two-host test: each host gets a namespace of
its own, joined to the root namespace by a veth pair on a /24 of its own.
The root namespace is the hub: PostgreSQL listens on the root ends, the
front nginx and the test client reach the hosts through them.

No packet for a host ever leaves the machine: a namespace has no default
route, and each subnet has a catch-all `unreachable` route in the root
namespace (a higher metric than the veth's own route), which still holds
once the veth is down or gone. Names carry the creating process's id and a
random token, so a leftover of a killed run breaks no later run (and
`sweep_leftovers` removes those whose creator is dead)."""
import ipaddress
import json
import os
import secrets
import subprocess

PREFIX = "agtwo"
# The catch-all route's metric: above the kernel's 0 for a veth's subnet.
SAFETY_METRIC = 4242
# Subnets are drawn from here, one /24 per host, away from common ones.
POOL = ipaddress.ip_network("10.200.0.0/13")


class NetnsError(RuntimeError):
    pass


def ip(*args, check=True):
    out = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and out.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {out.stderr.strip() or out.returncode}")
    return out


def unavailable_reason():
    """Why namespaces cannot be made here (not root, no `ip`, a sandbox
    that refuses them), or None when a probe namespace could be made."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"{PREFIX}-{os.getpid()}-probe{secrets.token_hex(3)}"
    try:
        out = ip("netns", "add", probe, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return f"`ip netns` cannot run: {e}"
    if out.returncode != 0:
        return f"`ip netns add` is not permitted here: {out.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


def sweep_leftovers():
    """Deletes the namespaces of earlier runs whose process is gone (a run
    killed before its cleanup). Their veths go with the last process in them."""
    out = ip("netns", "list", check=False)
    for line in out.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        parts = name.split("-")
        if len(parts) < 3 or parts[0] != PREFIX or not parts[1].isdigit():
            continue
        if not os.path.exists(f"/proc/{parts[1]}"):
            ip("netns", "del", name, check=False)


def _routed_networks():
    """Every IPv4 network the root namespace routes or holds an address in."""
    nets = []
    for row in json.loads(ip("-j", "-4", "route", "show", "table", "all").stdout or "[]"):
        dst = row.get("dst")
        if dst and dst != "default":
            nets.append(ipaddress.ip_network(dst, strict=False))
    for link in json.loads(ip("-j", "-4", "addr").stdout or "[]"):
        for a in link.get("addr_info", []):
            nets.append(ipaddress.ip_network(f"{a['local']}/{a['prefixlen']}", strict=False))
    return nets


def _free_subnets(count, tries=50):
    """`count` consecutive /24s of POOL that nothing here routes yet."""
    subnets = list(POOL.subnets(new_prefix=24))
    taken = _routed_networks()
    for _ in range(tries):
        first = secrets.randbelow(len(subnets) - count)
        chosen = subnets[first:first + count]
        if not any(c.overlaps(t) for c in chosen for t in taken):
            return chosen
    raise NetnsError(f"no {count} free /24s in {POOL} after {tries} draws")


class Host:
    """One host's namespace and its veth pair: `gateway` is the root end's
    address (where PostgreSQL listens), `address` the host's own."""

    def __init__(self, label, token, subnet):
        self.label = label
        self.netns = f"{PREFIX}-{os.getpid()}-{token}-{label}"
        self.root_link = f"ag{token}{label}"      # 15 characters at most
        self.host_link = f"ag{token}{label}h"
        self.subnet = subnet
        gateway, address = list(subnet.hosts())[:2]
        self.gateway, self.address = str(gateway), str(address)
        self.prefix = ["ip", "netns", "exec", self.netns]

    def create(self, made):
        ip("route", "add", "unreachable", str(self.subnet), "metric", str(SAFETY_METRIC))
        made.append(("route", "del", "unreachable", str(self.subnet), "metric", str(SAFETY_METRIC)))
        ip("netns", "add", self.netns)
        made.append(("netns", "del", self.netns))
        ip("-n", self.netns, "link", "set", "lo", "up")
        ip("link", "add", self.root_link, "type", "veth", "peer", "name", self.host_link, "netns", self.netns)
        made.append(("link", "del", self.root_link))
        ip("addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.root_link)
        ip("link", "set", self.root_link, "up")
        ip("-n", self.netns, "addr", "add", f"{self.address}/{self.subnet.prefixlen}", "dev", self.host_link)
        ip("-n", self.netns, "link", "set", self.host_link, "up")

    def cut(self):
        """The host's network goes down: its link, seen from inside it."""
        ip("-n", self.netns, "link", "set", self.host_link, "down")


class Network:
    """Hosts labelled `labels`, each in its own namespace. `cleanup()`
    undoes every step that was done, each on its own (one failing does
    not stop the rest); call it after the processes in them are stopped."""

    def __init__(self, labels):
        token = secrets.token_hex(3)
        self._made = []
        self.hosts = [Host(label, token, subnet) for label, subnet in zip(labels, _free_subnets(len(labels)))]
        try:
            for host in self.hosts:
                host.create(self._made)
        except BaseException:
            self.cleanup()
            raise

    def cleanup(self):
        errors = []
        while self._made:
            step = self._made.pop()
            out = ip(*step, check=False)
            # A veth is gone with its namespace already: not an error.
            if out.returncode != 0 and not (step[0] == "link" and "Cannot find device" in out.stderr):
                errors.append(f"ip {' '.join(step)}: {out.stderr.strip()}")
        return errors
