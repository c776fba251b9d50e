-- Running uptime totals (docs/aggregation.md, "Closing an epoch at scale"): every closed roll-up
-- carries the slots up and down (combined, consumer, provider) summed over its data unit's
-- closed epochs up to and including its own. The epoch close then reads the uptime window of a
-- data unit as the difference of two rows (its last closed roll-up, and the last one before the
-- window) instead of decoding every summary in the window. Open roll-ups keep 0 until they
-- close. Rows closed before this migration are filled from their summary JSON here.
ALTER TABLE epoch_rollups ADD COLUMN cum_up            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE epoch_rollups ADD COLUMN cum_down          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE epoch_rollups ADD COLUMN cum_consumer_up   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE epoch_rollups ADD COLUMN cum_consumer_down INTEGER NOT NULL DEFAULT 0;
ALTER TABLE epoch_rollups ADD COLUMN cum_provider_up   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE epoch_rollups ADD COLUMN cum_provider_down INTEGER NOT NULL DEFAULT 0;
UPDATE epoch_rollups AS r SET
    cum_up = t.cum_up, cum_down = t.cum_down,
    cum_consumer_up = t.cum_consumer_up, cum_consumer_down = t.cum_consumer_down,
    cum_provider_up = t.cum_provider_up, cum_provider_down = t.cum_provider_down
FROM (
    SELECT data_unit, epoch,
        SUM(json_extract(summary_json, '$.combined.slots.up')) OVER w AS cum_up,
        SUM(json_extract(summary_json, '$.combined.slots.down')) OVER w AS cum_down,
        SUM(json_extract(summary_json, '$.consumer.slots.up')) OVER w AS cum_consumer_up,
        SUM(json_extract(summary_json, '$.consumer.slots.down')) OVER w AS cum_consumer_down,
        SUM(json_extract(summary_json, '$.provider.slots.up')) OVER w AS cum_provider_up,
        SUM(json_extract(summary_json, '$.provider.slots.down')) OVER w AS cum_provider_down
    FROM epoch_rollups WHERE status <> 'open'
    WINDOW w AS (PARTITION BY data_unit ORDER BY epoch ROWS UNBOUNDED PRECEDING)
) AS t
WHERE r.data_unit = t.data_unit AND r.epoch = t.epoch;
