-- The schema of migrations/d1/0020_idea_stage_rounds.sql, in Postgres.
ALTER TABLE ideas ADD COLUMN stage_round BIGINT NOT NULL DEFAULT 0;
ALTER TABLE idea_decisions ADD COLUMN stage_round BIGINT NOT NULL DEFAULT 0;
-- Decisions given before their idea's current stage opened belong to an earlier round. The
-- owner updates every workspace's rows, so row-level security is lifted for it while it does,
-- inside this migration's transaction.
ALTER TABLE ideas NO FORCE ROW LEVEL SECURITY;
ALTER TABLE idea_decisions NO FORCE ROW LEVEL SECURITY;
UPDATE idea_decisions SET stage_round = -1
    WHERE created_at < (SELECT i.stage_opened_at FROM ideas i WHERE i.id = idea_decisions.idea_id);
ALTER TABLE ideas FORCE ROW LEVEL SECURITY;
ALTER TABLE idea_decisions FORCE ROW LEVEL SECURITY;
