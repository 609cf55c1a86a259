#!/bin/sh
# The entrypoint's contract, as the official image's: `neo4j` (the default command) starts the
# server; any other command runs as given. Each NEO4J_<setting> variable becomes a line of
# conf/neo4j.conf, '_' read as '.' and '__' as '_' (NEO4J_server_bolt_tls__level ->
# server.bolt.tls_level). The heap settings become the JVM's -Xms/-Xmx.
set -eu
NEO4J_HOME=${NEO4J_HOME:-/var/lib/neo4j}
if [ "${1:-neo4j}" != neo4j ]; then exec "$@"; fi
conf="$NEO4J_HOME/conf/neo4j.conf"
heap_initial=512m
heap_max=512m
for name in $(env | sed -n 's/^\(NEO4J_[A-Za-z0-9_]*\)=.*/\1/p'); do
  case "$name" in NEO4J_AUTH|NEO4J_AUTH_PATH|NEO4J_HOME|NEO4J_ACCEPT_LICENSE_AGREEMENT|NEO4J_EDITION) continue ;; esac
  eval "value=\${$name}"
  key=$(printf '%s' "${name#NEO4J_}" | sed 's/__/\x01/g; s/_/./g; s/\x01/_/g')
  case "$key" in
    server.memory.heap.initial_size) heap_initial=$value ;;
    server.memory.heap.max_size) heap_max=$value ;;
  esac
  grep -v "^$key=" "$conf" > /tmp/neo4j.conf.new || true
  printf '%s=%s\n' "$key" "$value" >> /tmp/neo4j.conf.new
  cat /tmp/neo4j.conf.new > "$conf"
  rm /tmp/neo4j.conf.new
done
exec /opt/java/bin/java "-Xms$heap_initial" "-Xmx$heap_max" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
  -cp "$NEO4J_HOME/classes:$NEO4J_HOME/lib/*" mcpbastion.Neo4jImage
