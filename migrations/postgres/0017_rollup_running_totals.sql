-- Running uptime totals (docs/aggregation.md, "Closing an epoch at scale"): every closed roll-up
-- carries the slots up and down (combined, consumer, provider) summed over its data unit's
-- closed epochs up to and including its own. The epoch close then reads the uptime window of a
-- data unit as the difference of two rows (its last closed roll-up, and the last one before the
-- window) instead of decoding every summary in the window: 2 rows instead of up to 720 for a
-- 30-day window of hourly epochs. Open roll-ups keep 0 until they close. Rows closed before
-- this migration are filled from their summary JSON here.
ALTER TABLE epoch_rollups
    ADD COLUMN cum_up            BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN cum_down          BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN cum_consumer_up   BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN cum_consumer_down BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN cum_provider_up   BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN cum_provider_down BIGINT NOT NULL DEFAULT 0;
UPDATE epoch_rollups r SET
    cum_up = t.cum_up, cum_down = t.cum_down,
    cum_consumer_up = t.cum_consumer_up, cum_consumer_down = t.cum_consumer_down,
    cum_provider_up = t.cum_provider_up, cum_provider_down = t.cum_provider_down
FROM (
    SELECT data_unit, epoch,
        SUM((summary_json::jsonb #>> '{combined,slots,up}')::bigint) OVER w AS cum_up,
        SUM((summary_json::jsonb #>> '{combined,slots,down}')::bigint) OVER w AS cum_down,
        SUM((summary_json::jsonb #>> '{consumer,slots,up}')::bigint) OVER w AS cum_consumer_up,
        SUM((summary_json::jsonb #>> '{consumer,slots,down}')::bigint) OVER w AS cum_consumer_down,
        SUM((summary_json::jsonb #>> '{provider,slots,up}')::bigint) OVER w AS cum_provider_up,
        SUM((summary_json::jsonb #>> '{provider,slots,down}')::bigint) OVER w AS cum_provider_down
    FROM epoch_rollups WHERE status <> 'open'
    WINDOW w AS (PARTITION BY data_unit ORDER BY epoch ROWS UNBOUNDED PRECEDING)
) t
WHERE r.data_unit = t.data_unit AND r.epoch = t.epoch;
