# Shared by scripts/demo and scripts/bench: issuing certificates with the xacbe CLI and starting
# a service that logs "listening on". Expects $xacbe (the CLI) and a CA directory "ca" in $PWD.

# issue PROFILE NAME SUBJECT: NAME.key, NAME.csr and NAME.pem in the current directory.
issue() {
  "$xacbe" key generate --type ec-p256 --out "$2.key"
  "$xacbe" csr create --key "$2.key" --subject "$3" --out "$2.csr"
  "$xacbe" ca --dir ca issue --profile "$1" --csr "$2.csr" --subject "$3" --out "$2.pem" >/dev/null
  echo "issued $1 certificate $2.pem: $(openssl x509 -in "$2.pem" -noout -subject -serial | tr '\n' ' ')"
}

# start_service BINARY CONFIG LOG: starts it in the background, sets $started_pid, waits until it
# listens (10 s at most).
start_service() {
  "$1" --config "$2" > "$3" 2>&1 &
  started_pid=$!
  for _ in $(seq 100); do grep -qs "listening on" "$3" && break; sleep 0.1; done  # -s: the file may not exist yet
  grep "listening on" "$3" || { cat "$3" >&2; echo "$1 did not start" >&2; return 1; }
}
