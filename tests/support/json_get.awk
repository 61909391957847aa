# Prints the value at a dotted path of a pretty-printed summary.json (one member per line, as
# enrolsim writes it): awk -v path=racas.0.busy_rejections -f json_get.awk summary.json
BEGIN { depth = 0 }
{
  line = $0
  sub(/^[ \t]+/, "", line)
  if (line ~ /^}/) { depth--; next }
  if (line !~ /^"/) next
  key = line
  sub(/^"/, "", key); sub(/".*/, "", key)
  val = line
  sub(/^"[^"]*": */, "", val); sub(/,$/, "", val)
  stack[depth] = key
  full = stack[0]
  for (i = 1; i <= depth; i++) full = full "." stack[i]
  if (val == "{") { depth++; next }
  if (full == path) { gsub(/"/, "", val); print val; exit }
}
