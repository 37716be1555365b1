-- Optional: indexes that let ClickHouse skip granules when a2a-observe looks up one
-- conversation, task or agent. The exporter's bloom filter over all attribute values
-- (idx_span_attr_value) already narrows such lookups; these index one key each, so they stay
-- selective as other attributes grow. Apply with clickhouse-client --multiquery < this file;
-- MATERIALIZE builds them for data already stored (it runs in the background).

ALTER TABLE `otel`.`otel_traces`
    ADD INDEX IF NOT EXISTS idx_conversation_id SpanAttributes['gen_ai.conversation.id']
    TYPE bloom_filter(0.001) GRANULARITY 1;
ALTER TABLE `otel`.`otel_traces`
    ADD INDEX IF NOT EXISTS idx_task_id SpanAttributes['a2a.task.id']
    TYPE bloom_filter(0.001) GRANULARITY 1;
ALTER TABLE `otel`.`otel_traces`
    ADD INDEX IF NOT EXISTS idx_agent_name SpanAttributes['gen_ai.agent.name']
    TYPE set(1000) GRANULARITY 4;
ALTER TABLE `otel`.`otel_logs`
    ADD INDEX IF NOT EXISTS idx_conversation_id LogAttributes['gen_ai.conversation.id']
    TYPE bloom_filter(0.001) GRANULARITY 1;
ALTER TABLE `otel`.`otel_traces` MATERIALIZE INDEX idx_conversation_id;
ALTER TABLE `otel`.`otel_traces` MATERIALIZE INDEX idx_task_id;
ALTER TABLE `otel`.`otel_traces` MATERIALIZE INDEX idx_agent_name;
ALTER TABLE `otel`.`otel_logs` MATERIALIZE INDEX idx_conversation_id;
