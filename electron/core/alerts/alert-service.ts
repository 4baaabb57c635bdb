import type {
  AckAlertRequest,
  AlertsView,
  EndAlertQuietRequest,
  MuteAlertsRequest,
} from '../../../shared/alerts';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { FleetSettings } from '../../../shared/settings';
import { partitionAlerts } from './alert-policy';
import type { AlertStore } from './alert-store';
import { describeAlerts, raisedAlerts, type RaisedAlertWithTitle } from './raised-alerts';

/**
 * The alerts of the fleet as people see them: what is raised now, what is kept quiet by
 * an acknowledgement or mute, and the changes to those. Notification adapters ask
 * `deliverable` which raised alerts may speak.
 */
export class AlertService {
  constructor(
    private readonly store: AlertStore,
    private readonly snapshot: () => FleetSnapshot,
    private readonly fleets: readonly FleetSettings[],
    private readonly who: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Raised alerts with their quiet state; acknowledgements of cleared alerts end here. */
  async view(): Promise<AlertsView> {
    const raised = raisedAlerts(this.snapshot(), this.fleets);
    await this.store.observe(new Set(raised.map((a) => a.key)));
    return this.describe(raised);
  }

  /** Of the given alerts, those no acknowledgement or mute keeps quiet now. */
  deliverable<A extends RaisedAlertWithTitle>(alerts: readonly A[]): A[] {
    return partitionAlerts(alerts, this.store.current(), this.now()).show;
  }

  async ack(request: AckAlertRequest): Promise<AlertsView> {
    await this.store.ack(request, this.who);
    return this.view();
  }

  async mute(request: MuteAlertsRequest): Promise<AlertsView> {
    await this.store.mute(request, this.who);
    return this.view();
  }

  async end(request: EndAlertQuietRequest): Promise<AlertsView> {
    await this.store.end(request);
    return this.view();
  }

  private describe(raised: readonly RaisedAlertWithTitle[]): AlertsView {
    return {
      raised: describeAlerts(raised, this.store.current(), this.now()),
      state: this.store.current(),
      problem: this.store.problem,
    };
  }
}
