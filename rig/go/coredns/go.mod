// Wrapper module: builds CoreDNS at a pinned version, to prove the iDNS Corefile snippet on a real server.
module rancher-cdns/rig/coredns

go 1.26

require github.com/coredns/coredns v1.14.7
