# Helpers shared by the docker, df and docker-machine shims (POSIX awk; mawk and gawk).
# Kept free of gawk extensions so the shims run on any host sshd may start them on.

# JSON string the way Go's encoding/json writes it (it also escapes < > & for HTML).
function jstr(s,    out, i, c, n) {
  out = ""
  n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c == "\\") out = out "\\\\"
    else if (c == "\"") out = out "\\\""
    else if (c == "<") out = out "\\u003c"
    else if (c == ">") out = out "\\u003e"
    else if (c == "&") out = out "\\u0026"
    else if (c == "\t") out = out "\\t"
    else if (c == "\n") out = out "\\n"
    else if (c == "\r") out = out "\\r"
    else out = out c
  }
  return "\"" out "\""
}

# Go strconv.Quote for printable ASCII: wraps in quotes, escapes \ and ".
function goquote(s,    out, i, c, n) {
  out = ""
  n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c == "\\" || c == "\"") out = out "\\" c
    else out = out c
  }
  return "\"" out "\""
}

# Docker's stringutils.Ellipsis: at most n characters, the last one an ellipsis.
function ellipsis(s, n) {
  if (length(s) <= n) return s
  return substr(s, 1, n - 1) "…"
}

# go-units HumanDuration (what "Up 5 minutes" and "5 minutes ago" use).
function humandur(sec,    m, h) {
  if (sec < 1) return "Less than a second"
  if (sec < 2) return "1 second"
  if (sec < 60) return int(sec) " seconds"
  m = int(sec / 60)
  if (m == 1) return "About a minute"
  if (m < 60) return m " minutes"
  h = int(sec / 3600 + 0.5)
  if (h == 1) return "About an hour"
  if (h < 48) return h " hours"
  if (h < 24 * 7 * 2) return int(h / 24) " days"
  if (h < 24 * 30 * 2) return int(h / 24 / 7) " weeks"
  if (h < 24 * 365 * 2) return int(h / 24 / 30) " months"
  return int(h / 24 / 365) " years"
}

# go-units HumanSize: decimal units, 4 significant digits ("1.235GB", "0B").
function humansize(b,    i, u) {
  split("B kB MB GB TB PB EB", u, " ")
  i = 1
  while (b >= 1000 && i < 7) { b = b / 1000; i++ }
  return sprintf("%.4g%s", b, u[i])
}

# Count of tab-separated fields a well-formed line of a state file has; a line that does
# not have them is printed verbatim, so tests can feed parsers garbage and partial output.
function wellformed(line, want,    f) {
  return split(line, f, "\t") == want
}

# Go-template rendering of docker's --format for one row. F[] holds the row's fields by
# name, LBL the Labels string ("k=v,k=v"), JSON the row as {{json .}} prints it.
# Unknown fields set TPLERR (docker exits with a template error).
function label_of(labels, key,    n, kv, i, eq) {
  n = split(labels, kv, ",")
  for (i = 1; i <= n; i++) {
    eq = index(kv[i], "=")
    if (eq > 0 && substr(kv[i], 1, eq - 1) == key) return substr(kv[i], eq + 1)
    if (eq == 0 && kv[i] == key) return ""
  }
  return ""
}
function render(tpl, F, LBL, JSON,    out, s, e, expr, k) {
  out = ""
  while ((s = index(tpl, "{{")) > 0) {
    out = out substr(tpl, 1, s - 1)
    tpl = substr(tpl, s + 2)
    e = index(tpl, "}}")
    if (e == 0) { TPLERR = "template: :1: unclosed action"; return "" }
    expr = substr(tpl, 1, e - 1)
    tpl = substr(tpl, e + 2)
    gsub(/^[ \t]+|[ \t]+$/, "", expr)
    if (expr == "json .") out = out JSON
    else if (expr ~ /^\.Label "[^"]*"$/) {
      k = expr; sub(/^\.Label "/, "", k); sub(/"$/, "", k)
      out = out label_of(LBL, k)
    } else if (expr ~ /^index \.Config\.Labels "[^"]*"$/ && ("Config.Labels" in F)) {
      # docker inspect: a missing label is the map's zero value, an empty string
      k = expr; sub(/^index \.Config\.Labels "/, "", k); sub(/"$/, "", k)
      out = out label_of(LBL, k)
    } else if (expr ~ /^json \.[A-Za-z][A-Za-z.]*$/ && (expr in F)) out = out F[expr]
    else if (expr ~ /^\.[A-Za-z][A-Za-z.]*$/ && (substr(expr, 2) in F)) out = out F[substr(expr, 2)]
    else { TPLERR = "template: :1:" s + 1 ": executing \"\" at <" expr ">: can't evaluate field " substr(expr, 2); return "" }
  }
  return out tpl
}
# Docker turns a literal \t and \n in --format into a tab and a newline.
function unescape_fmt(f) {
  gsub(/\\t/, "\t", f)
  gsub(/\\n/, "\n", f)
  return f
}
# Column headers of docker's table formats.
function header_of(name) {
  if (name == "ID") return "CONTAINER ID"
  if (name == "RunningFor") return "CREATED"
  if (name == "CreatedAt") return "CREATED AT"
  if (name == "LocalVolumes") return "LOCAL VOLUMES"
  if (name == "Name") return "VOLUME NAME"
  if (name == "CreatedSince") return "CREATED"
  return toupper(name)
}
# Table mode: rows are collected as tab-separated cells and aligned like Go's tabwriter
# with minwidth 10 and padding 3, which is what the docker CLI uses.
function table_add(line) { TN++; TROW[TN] = line }
function table_flush(    r, n, c, cells, w, out) {
  for (r = 1; r <= TN; r++) {
    n = split(TROW[r], cells, "\t")
    for (c = 1; c < n; c++) if (length(cells[c]) + 3 > w[c]) w[c] = length(cells[c]) + 3
  }
  for (r = 1; r <= TN; r++) {
    n = split(TROW[r], cells, "\t")
    out = ""
    for (c = 1; c < n; c++) out = out sprintf("%-" (w[c] < 10 ? 10 : w[c]) "s", cells[c])
    print out cells[n]
  }
  TN = 0
}
# The table header for a format like "{{.ID}}\t{{.Names}}".
function table_header(tpl,    out, s, e, expr) {
  out = ""
  while ((s = index(tpl, "{{")) > 0) {
    out = out substr(tpl, 1, s - 1)
    tpl = substr(tpl, s + 2)
    e = index(tpl, "}}")
    if (e == 0) break
    expr = substr(tpl, 1, e - 1)
    tpl = substr(tpl, e + 2)
    gsub(/^[ \t.]+|[ \t]+$/, "", expr)
    out = out header_of(expr)
  }
  return out tpl
}
