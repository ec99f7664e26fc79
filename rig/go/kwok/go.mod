// Wrapper module: builds kwok at a pinned version.
module rancher-cdns/rig/kwok

go 1.26.0

require sigs.k8s.io/kwok v0.8.0
