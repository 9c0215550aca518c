#!/usr/bin/env bash
# Writes the seed inputs of each fuzz target into fuzz/seeds/<target>/ from the repository's
# own content (content/**/*.md, tests/fixtures/**/*.md) and a few hand-written cases. The
# seeds are committed; run this again after the content or fixtures change much.
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"
seeds="$fuzz/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{front_matter,markdown,slug_paths,output_key}

# A file's seed name: its path with `/` as `_`.
name() { printf '%s' "$1" | tr '/' '_'; }
# Files past libFuzzer's -max_len are cut to it.
MAX=65535

cd "$root"
while IFS= read -r -d '' f; do
  n="$(name "$f")"
  # front_matter: the first byte picks page/section (bit 0) and content type (bits 1-2:
  # 0 default, 1 initiatives, 2 news).
  sel=0
  case "$f" in */_index.md) sel=$((sel | 1)) ;; esac
  case "$f" in */content/initiatives/* | content/initiatives/*) sel=$((sel | 2)) ;; esac
  case "$f" in */content/news/*) sel=$((sel | 4)) ;; esac
  { printf "\\x$(printf %02x "$sel")"; head -c "$MAX" "$f"; } >"$seeds/front_matter/$n"
  # markdown: flags 0x0c = real theme + smart punctuation, as a build renders the site;
  # fixtures with shortcodes also in check mode (markers) and with the stand-in shortcodes.
  { printf '\x0c'; head -c "$MAX" "$f"; } >"$seeds/markdown/$n"
  if grep -q '{{\|{%' "$f"; then
    { printf '\x0d'; head -c "$MAX" "$f"; } >"$seeds/markdown/markers-$n"
  fi
done < <(find content tests/fixtures -name '*.md' -print0 | sort -z)

# Hand-written Markdown for the stand-in shortcodes (flags 0x04: smart punctuation, the
# stand-ins; 0x05 with markers; 0x06 with raw HTML allowed).
md="$seeds/markdown"
printf '\x04---\ntitle: T\n---\n# Heading {#id}\n\nIntro {{ stat(value="970", n=3, x=1.5, big=true, as_of="2018-05-31") }} text.\n\n{%% note(kind="warning", title="Careful") %%}\n**Bold** and {{ link(url="@/contact.md#form", label="Contact") }}\n{%% end %%}\n\n<!-- more -->\n\nRest [a](@/initiatives/x.md) and `{{ stat() }}`.\n' >"$md/fake-shortcodes"
printf '\x05{%% note() %%}\n{%% note(kind="info") %%}\nnested {{ stat(value="1") }}\n{%% end %%}\n{%% end %%}\n\n{{ link(url="javascript:alert(1)", label="x") }} {{ broken() }} {{ nope(a=1) }}\n' >"$md/fake-nested"
printf '\x06<div onclick="x()">raw</div>\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| {{ stat(value="2") }} | <b>x</b> |\n\n[^1]: note\n\nText[^1] "quoted" -- dash\n' >"$md/fake-raw-html"
printf '\x04## A <img src=x onerror=alert(1)> heading\n\n![alt {{ stat(value="3") }}](javascript:alert(1))\n\n<!-- more -->\n\n- [ ] task\n- [x] done\n' >"$md/fake-html-in-heading"

# slug_paths: titles and aliases.
sp="$seeds/slug_paths"
i=0
for s in "Young Londoners' Fund: £45m" "  Café Crème — Été  " "Straße" "北京" ".." "/old/path/" \
  "old-page.html" "/2018/06/taskforce" "/who-we-are/" "/old/about.html" "../x" "a//b" \
  "/a b/c.d/" "/ünï/cödé/" "x/.y" "/a.b.c"; do
  i=$((i + 1))
  printf '%s' "$s" >"$sp/$i"
done

# output_key: request paths, good and bad.
ok="$seeds/output_key"
i=0
for s in "/" "/initiatives/" "/css/main.1a2b.css" "/press%20releases/" "/../etc/passwd" \
  "/a/../../etc/passwd" "/%2e%2e/etc/passwd" "/..%2fetc%2fpasswd" "/a/%2E%2E/b" '/a\..\b' \
  "/a%5c..%5cb" "/a%00.html" "/a//b" "/." "/%ff" "relative" "/%252e%252e/x" \
  "/initiatives/young-londoners-fund/" "/images/social-card.png" "/__placard/live.js" \
  "/a/%2e/b" "/%e2%80%8f/" "/x%0a/"; do
  i=$((i + 1))
  printf '%s' "$s" >"$ok/$i"
done

for t in front_matter markdown slug_paths output_key; do
  printf '%-13s %4s seeds, %s\n' "$t" "$(ls "$seeds/$t" | wc -l)" "$(du -sh "$seeds/$t" | cut -f1)"
done
