#!/usr/bin/env bash
# The services scripts/up starts: name, gRPC port, metrics port.
STW_SERVICES=(
  "postings 50051 9101"
  "applications 50052 9102"
  "scheduling 50053 9103"
  "notifications 50054 9104"
  "coordination 50055 9105"
)
