-- A court decision's suspension of a provider (docs/court.md): until when it may not accept
-- allocations, Unix seconds, as the oracle's `ProviderSuspended` says; 0 = never suspended;
-- 9223372036854775807 (i64::MAX) stands for the contract's type(uint64).max: removed for good.
-- Older versions had none.
ALTER TABLE chain_provider_versions ADD COLUMN suspended_until BIGINT NOT NULL DEFAULT 0;
