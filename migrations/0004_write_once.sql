-- A business sent twice while the first is pending is one submission, even when both
-- requests race: a unique index decides, not a look-up before the insert. Duplicates
-- already stored are kept, closed as rejected with a note naming the one that stays.

UPDATE submissions
   SET status = 'rejected',
       reviewer_note = 'duplicate of submission #' || (
           SELECT min(first.id) FROM submissions AS first
            WHERE first.status = 'pending'
              AND first.email = submissions.email
              AND first.business_name = submissions.business_name COLLATE NOCASE
              AND first.city = submissions.city COLLATE NOCASE),
       reviewed_at = created_at
 WHERE status = 'pending'
   AND id > (
       SELECT min(first.id) FROM submissions AS first
        WHERE first.status = 'pending'
          AND first.email = submissions.email
          AND first.business_name = submissions.business_name COLLATE NOCASE
          AND first.city = submissions.city COLLATE NOCASE);

CREATE UNIQUE INDEX ux_submissions_pending_business
    ON submissions (email, business_name COLLATE NOCASE, city COLLATE NOCASE)
    WHERE status = 'pending';

-- Expired rate-limit windows are pruned across all clients of a bucket.
CREATE INDEX idx_rate_limits_expiry ON rate_limits (bucket, window_start);
