-- Alerts (docs/alerts.md): what the error-budget rules sum over time windows, and the state of
-- the alert conditions.
--
-- Each roll-up carries the counts the burn-rate and time-to-breach rules add up over windows
-- (combined uptime slots up and down, service operations and failures per view), so a window
-- over every data unit is one grouped scan instead of decoding every summary. The aggregator
-- writes them with each roll-up; rows written before this migration are filled from their
-- summary JSON here.
ALTER TABLE epoch_rollups
    ADD COLUMN slots_up          BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN slots_down        BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN ops_consumer      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN failures_consumer BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN ops_provider      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN failures_provider BIGINT NOT NULL DEFAULT 0;
UPDATE epoch_rollups SET
    slots_up          = (summary_json::jsonb #>> '{combined,slots,up}')::bigint,
    slots_down        = (summary_json::jsonb #>> '{combined,slots,down}')::bigint,
    ops_consumer      = (summary_json::jsonb #>> '{consumer,service_operations}')::bigint,
    failures_consumer = (summary_json::jsonb #>> '{consumer,service_failures}')::bigint,
    ops_provider      = (summary_json::jsonb #>> '{provider,service_operations}')::bigint,
    failures_provider = (summary_json::jsonb #>> '{provider,service_failures}')::bigint;
CREATE INDEX epoch_rollups_by_epoch ON epoch_rollups (epoch);

-- A condition (burn rate, bond cover, oracle health, ...) that fired: kept until it resolves,
-- so that a restarted process neither raises it again nor forgets to say it ended; and when it
-- resolved, for the cooldown. `alert_json` is the firing alert, the base of the resolved one.
CREATE TABLE alert_conditions (
    condition       TEXT   PRIMARY KEY,
    firing_since_ms BIGINT,
    resolved_at_ms  BIGINT,
    alert_json      TEXT   NOT NULL
);

-- The data unit an alert is about (NULL for one about a provider or the oracle), so that the
-- dashboard shows a data unit's alerts and their history (its incident timeline).
ALTER TABLE alert_outbox ADD COLUMN data_unit BIGINT;
CREATE INDEX alert_outbox_by_unit ON alert_outbox (data_unit, created_at_ms)
    WHERE data_unit IS NOT NULL;
