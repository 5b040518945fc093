//go:build tools

// Package tools pins the one command this module exists to build:
//
//	go build k8s.io/kubernetes/cmd/kube-apiserver
//
// (scripts/install-kube-apiserver.sh runs it with the version stamped by ldflags).
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
