/**
 * The responder as the controller sees it: before each hosts write, publish the plan to the
 * responder and take out of the hosts data the names staging.ts holds back; after it, tell staging
 * what the hosts files now hold. The controller calls it with its own clock.
 */
import type { HostsData } from "../model";
import { responderData, type ResponderData } from "./answer";
import { WildcardStaging, type StagingResult } from "./staging";

/** The controller's side of the responder (a fake in tests that need none). */
export interface DnsFront {
  /** Publishes `plan` to the responder at once; returns the hosts data to write now. */
  beforeWrite(plan: HostsData, now: number): StagingResult;
  /** The hosts write of `hosts` succeeded (or was skipped as unchanged), or failed. */
  afterWrite(hosts: HostsData, ok: boolean): void;
}

export class ResponderFront implements DnsFront {
  private readonly staging: WildcardStaging;

  constructor(
    private readonly ttlSeconds: number,
    /** Where the responder's data goes (ResponderServer.publish). */
    private readonly publish: (data: ResponderData) => void,
  ) {
    this.staging = new WildcardStaging(ttlSeconds);
  }

  beforeWrite(plan: HostsData, now: number): StagingResult {
    // First the responder: a name leaving the hosts files must already be answered there.
    this.publish(responderData(plan, this.ttlSeconds));
    return this.staging.stage(plan, now);
  }

  afterWrite(hosts: HostsData, ok: boolean): void {
    this.staging.written(hosts, ok);
  }
}
