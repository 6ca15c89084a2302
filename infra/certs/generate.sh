#!/usr/bin/env bash
# Makes a CA, a broker certificate (for "rabbitmq", "localhost" and 127.0.0.1) and a client
# certificate in infra/certs/out, for docker-compose.tls.yml and for trying TLS locally.
# Test certificates only: 825 days, keys unencrypted.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/out"
mkdir -p "$out"
cd "$out"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

openssl req -x509 "${ec[@]}" -days 825 -subj "/CN=rabbit-tutorials CA" -keyout ca.key -out ca.pem 2>/dev/null
leaf() { # name, CN, extensions
  printf '%b' "$3" > "$1.ext"
  openssl req "${ec[@]}" -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
leaf server rabbitmq 'subjectAltName=DNS:rabbitmq,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
leaf client rabbit-tutorials-client 'extendedKeyUsage=clientAuth\n'
# The broker in the container runs as its own user (uid 999) and must read its certificate and key,
# whatever the umask; docker-compose.tls.yml mounts only those and ca.pem. The CA and client keys stay private.
chmod 644 ca.pem server.pem server.key client.pem
chmod 600 ca.key client.key
echo "certificates in $out: ca.pem, server.pem/server.key (broker), client.pem/client.key (apps)"
