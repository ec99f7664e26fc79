// Wrapper module: builds the Pulumi kubernetes resource provider plugin. Only this pseudo-version of
// the provider module is served by the proxy (its code is about v4.25.0). Its sdk/v4 is pinned at
// v4.25.0: newer ones pull a pulumi pkg/sdk pair this provider does not compile against.
module rancher-cdns/rig/pulumi-kubernetes

go 1.26

require (
	github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260115033456-f47bc2d6f199
	github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.25.0
)
