#!/bin/sh
# One-shot Temporal setup, run by the compose `temporal-init` service (temporalio/admin-tools
# image) before the app services start. Idempotent: it runs again on every `docker compose up`.
#
# 1. waits until the server answers and the namespace exists (auto-setup registers it a few
#    seconds after the frontend comes up, so "server healthy" alone is not enough);
# 2. registers the custom search attributes the app queries workflows by.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set (host:port of the frontend)}"
: "${TEMPORAL_NAMESPACE:?TEMPORAL_NAMESPACE must be set}"

MAX_TRIES=${MAX_TRIES:-90} # x 2 s

log() { echo "temporal-init: $*"; }

retry() { # retry DESCRIPTION COMMAND...: run COMMAND until it succeeds, or fail the service
    what=$1
    shift
    tries=0
    until "$@" >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -ge "$MAX_TRIES" ]; then
            log "gave up waiting for $what"
            exit 1
        fi
        log "waiting for $what"
        sleep 2
    done
}

server_serving() {
    temporal operator cluster health --address "$TEMPORAL_ADDRESS" | grep -q SERVING
}

namespace_registered() {
    temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE"
}

ensure_search_attribute() { # ensure_search_attribute NAME TYPE (Keyword, Text, Int, Double, Bool, Datetime, KeywordList)
    if temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" \
        --namespace "$TEMPORAL_NAMESPACE" | grep -qw -- "$1"; then
        log "search attribute $1 already registered"
    else
        temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" \
            --namespace "$TEMPORAL_NAMESPACE" --name "$1" --type "$2"
        log "registered search attribute $1 ($2)"
    fi
}

retry "Temporal at $TEMPORAL_ADDRESS" server_serving
retry "namespace $TEMPORAL_NAMESPACE" namespace_registered

# Custom search attributes: none yet. Add one line per attribute the app filters on, e.g.
#   ensure_search_attribute DocketflowFirmId Keyword
# A new attribute is usable once the frontend's search-attribute cache refreshes, which can
# lag creation by a few seconds.

log "namespace $TEMPORAL_NAMESPACE ready"
