// Wrapper module: builds the etcd server binary at a pinned version through the Go module proxy.
// No .go files here on purpose; `go mod tidy` would drop the requires.
module rancher-cdns/rig/etcd

go 1.26.0

require (
	go.etcd.io/etcd/api/v3 v3.6.16
	go.etcd.io/etcd/client/pkg/v3 v3.6.16
	go.etcd.io/etcd/client/v3 v3.6.16
	go.etcd.io/etcd/pkg/v3 v3.6.16
	go.etcd.io/etcd/server/v3 v3.6.16
)
