-- Which opening of an idea's stage a decision belongs to. An idea's round rises each time it
-- enters a status or is reworked; under a workflow whose stage needs every approver, the stage's
-- approvals are the decisions of its current round. Times cannot tell them apart: an approval of
-- the old wording and the rework can fall in the same millisecond.
ALTER TABLE ideas ADD COLUMN stage_round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE idea_decisions ADD COLUMN stage_round INTEGER NOT NULL DEFAULT 0;
-- Decisions given before their idea's current stage opened belong to an earlier round.
UPDATE idea_decisions SET stage_round = -1
    WHERE created_at < (SELECT i.stage_opened_at FROM ideas i WHERE i.id = idea_decisions.idea_id);
