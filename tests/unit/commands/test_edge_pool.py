"""An edge's pool: its slots, the hosts file that maps them, and its health log, exactly."""

from __future__ import annotations

from dockyard.commands import edge_pool
from dockyard.commands.edge_pool import Slot

WEB = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
USED = "{:<39} s{}.shop-web.pool.dockyard # in use          \n"
FREE = "255.255.255.255                         s{}.shop-web.pool.dockyard # freed {:010d}\n"
HEAD = (
    "# dockyard: the load balancer edge's pool (do not edit)\n127.0.0.1 localhost\n::1 localhost\n"
)


def test_slots_are_the_next_power_of_two_at_least_twice_the_pool_and_8_at_least() -> None:
    assert [edge_pool.slot_count(n) for n in (0, 1, 4, 5, 8, 9)] == [8, 8, 8, 16, 16, 32]
    assert edge_pool.slot_name("shop-web", 3) == "s3.shop-web.pool.dockyard"
    assert edge_pool.pooled(["10.0.0.1:80", "[fd00::1]:80"])
    assert not edge_pool.pooled(["10.0.0.1:80", "web2.example.com:80"])
    assert not edge_pool.pooled([])


def test_the_hosts_file_maps_every_slot_one_line_each_padded_to_a_block() -> None:
    layout = edge_pool.with_hosts({}, {"shop-web": WEB})
    text = edge_pool.render_hosts(layout)
    lines = [USED.format(a, k) for k, a in enumerate(WEB)]
    lines += [FREE.format(k, 0) for k in range(3, 8)]
    body = HEAD + "".join(lines)
    assert text == body + "#" + " " * (4096 - len(body) - 2) + "\n"
    assert len(text) == 4096
    assert edge_pool.parse_hosts(text) == layout
    assert edge_pool.mapped(layout) == {"shop-web": set(WEB)}


def test_a_pool_change_keeps_each_hosts_slot_and_rewrites_only_the_changed_lines() -> None:
    before = edge_pool.with_hosts({}, {"shop-web": WEB})
    wanted = {"shop-web": ["10.0.0.1", "10.0.0.3", "10.0.0.4"]}
    added = edge_pool.with_hosts(before, wanted)  # 10.0.0.2 stays until drained
    assert [s.address for s in added["shop-web"][:4]] == [*WEB, "10.0.0.4"]
    freed = edge_pool.without_hosts(added, wanted, 1796369226)
    assert freed["shop-web"][1] == Slot("", 1796369226)
    old, new = edge_pool.render_hosts(before), edge_pool.render_hosts(freed)
    assert len(old) == len(new)
    changed = [n for o, n in zip(old.splitlines(), new.splitlines(), strict=True) if o != n]
    assert changed == [FREE.format(1, 1796369226).rstrip("\n"), USED.format("10.0.0.4", 3)[:-1]]


def test_a_new_host_takes_the_free_slot_freed_longest_ago_never_used_first() -> None:
    layout = {"shop-web": [Slot("10.0.0.1"), Slot("", 50), Slot("", 20), *[Slot("")] * 5]}
    taken = edge_pool.with_hosts(layout, {"shop-web": ["10.0.0.1", "10.0.0.5"]})
    assert taken["shop-web"][3] == Slot("10.0.0.5")
    full = {"shop-web": [Slot("10.0.0.1"), *[Slot("", 50 - k) for k in range(7)]]}
    taken = edge_pool.with_hosts(full, {"shop-web": ["10.0.0.1", "10.0.0.5"]})
    assert taken["shop-web"][7] == Slot("10.0.0.5")  # freed at 44, the longest ago


def test_the_hosts_file_is_written_in_place_in_one_write_then_cut_to_its_length() -> None:
    assert edge_pool.write_hosts("x" * 4096).render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir -p "$HOME/.dockyard/edge" && '
        'dd of="$HOME/.dockyard/edge/hosts" bs=1M iflag=fullblock conv=notrunc status=none && '
        'truncate -s 4096 "$HOME/.dockyard/edge/hosts"'
    )


def test_the_health_log_tells_which_slots_were_last_seen_up() -> None:
    assert edge_pool.read_health().render() == (
        '{ tail -c 1000000 "$HOME/.dockyard/edge/health.log" 2>/dev/null '
        '| grep -o \'"msg":"host is [a-z]*","host":"[^"]*"\' || true; }'
    )
    out = (
        '"msg":"host is up","host":"s0.shop-web.pool.dockyard:80"\n'
        '"msg":"host is up","host":"s1.shop-web.pool.dockyard:80"\n'
        '"msg":"host is down","host":"s1.shop-web.pool.dockyard:80"\n'
    )
    assert edge_pool.parse_health(out) == {
        "s0.shop-web.pool.dockyard:80": True,
        "s1.shop-web.pool.dockyard:80": False,
    }
