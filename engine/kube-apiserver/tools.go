//go:build tools

// Package tools pins the commands this module exists to build:
//
//	go build k8s.io/kubernetes/cmd/kube-apiserver
//	go build k8s.io/kubernetes/cmd/kube-controller-manager
//
// (scripts/install-kube-apiserver.sh runs them with the version stamped by ldflags; the e2e
// suite runs the controller manager's garbage collector only).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
