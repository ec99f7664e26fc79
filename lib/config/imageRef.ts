/**
 * Container image references and registry names, after the distribution/reference grammar:
 * the one check of image-shaped config values (prebuilt images, the registry, repositories).
 */
import { DEFAULT_DNSMASQ_REPOSITORY_NAME } from "./defaults";

const REF_DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)`;
const REF_COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const REF_PATH = `${REF_COMPONENT}(?:/${REF_COMPONENT})*`;
const REF_TAG = String.raw`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`;
const REF_DIGEST = String.raw`[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`;
const IMAGE_REF = new RegExp(`^(?:${REF_DOMAIN}/)?${REF_PATH}(?::${REF_TAG})?(?:@${REF_DIGEST})?$`);
const REGISTRY_SERVER = new RegExp(`^${REF_DOMAIN}$`);
const REPOSITORY = new RegExp(`^${REF_PATH}$`);
const DIGEST_PINNED = new RegExp(`@${REF_DIGEST}$`);

/** Why `ref` is not a container image reference, or undefined when it is one. */
export function imageRefProblem(ref: string): string | undefined {
  if (ref.length > 512 || !IMAGE_REF.test(ref)) {
    return `must be an image reference such as "registry.example.com/team/image:1.2.3@sha256:<64 hex>"; got ${JSON.stringify(ref)}`;
  }
  return undefined;
}

export function isDigestPinned(ref: string): boolean {
  return DIGEST_PINNED.test(ref);
}

/** Why `server` is not a registry host[:port], or undefined. */
export function registryServerProblem(server: string): string | undefined {
  return REGISTRY_SERVER.test(server) ? undefined : `must be a registry host[:port] without scheme or path; got ${JSON.stringify(server)}`;
}

/** Why `repository` is not a repository path (no tag), or undefined. */
export function repositoryProblem(repository: string): string | undefined {
  return REPOSITORY.test(repository)
    ? undefined
    : `must be a lowercase repository path such as "platform/cdns-sidecar" (no tag); got ${JSON.stringify(repository)}`;
}

/** The dnsmasq image's repository beside the sidecar's: "platform/cdns-sidecar" -> "platform/cdns-dnsmasq". */
export function dnsmasqRepositoryFor(sidecarRepository: string): string {
  const slash = sidecarRepository.lastIndexOf("/");
  return slash < 0 ? DEFAULT_DNSMASQ_REPOSITORY_NAME : `${sidecarRepository.slice(0, slash)}/${DEFAULT_DNSMASQ_REPOSITORY_NAME}`;
}
