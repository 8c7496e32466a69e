/**
 * Retention, checked against Mixpanel's documentation: the Retention report page
 * (docs.mixpanel.com/docs/reports/retention), the Query Retention Report reference
 * (developer.mixpanel.com/reference/retention-query) and the Query API's OpenAPI file (/retention).
 * Expected numbers are worked out by hand from the quoted sentences.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cohortsOf, retentionOf } from './conformanceKit';

describe('retention: rolling windows are the default', () => {
  it('day 1 is 24 to 48 hours after birth: 8 pm Monday then 6 am Tuesday is day 0, or day 1 with calendar_windows', () => {
    // Retention report, "How is this different than the basic retention mode?": "Day 1 retention =
    // 24-48 hrs since person's birth" (rolling, the "default rolling time windows"), and for calendar
    // windows "If a person did an activity at 8 pm on Monday and then 6 am on Tuesday, the person is
    // counted under Day 1 retention even though it's just 10 hrs later". 2026-10-05 is a Monday.
    const rows: Parameters<typeof retentionOf>[1] = [
      ['Sign Up', 'u1', '2026-10-05T20:00:00'],
      ['Open App', 'u1', '2026-10-06T06:00:00'],
    ];
    const query = 'retention "Sign Up" -> "Open App"\n  from 2026-10-05 to 2026-10-05\n';
    assert.deepEqual(cohortsOf(retentionOf(query, rows)), [['2026-10-05', 1, [1, 0]]]);
    assert.deepEqual(cohortsOf(retentionOf(`${query}  calendar_windows\n`, rows)), [['2026-10-05', 1, [0, 1]]]);
  });

  it('week 1 is 7 to 14 days after birth: Friday then Monday is week 0, or week 1 with calendar_windows', () => {
    // "Week 1 retention = 7-14 days since person's birth"; calendar: "If a person did an activity
    // on Friday and then Monday, the person is counted under Week 1 retention even though it's just
    // 3 days". 2026-10-09 is a Friday; its week starts on Monday 2026-10-05.
    const rows: Parameters<typeof retentionOf>[1] = [
      ['Sign Up', 'u1', '2026-10-09T12:00:00'],
      ['Open App', 'u1', '2026-10-12T12:00:00'],
    ];
    const query = 'retention "Sign Up" -> "Open App"\n  unit week\n  from 2026-10-09 to 2026-10-09\n';
    assert.deepEqual(cohortsOf(retentionOf(query, rows)), [['2026-10-05', 1, [1, 0]]]);
    assert.deepEqual(cohortsOf(retentionOf(`${query}  calendar_windows\n`, rows)), [['2026-10-05', 1, [0, 1]]]);
  });

  it('month 1 is 30 to 60 days after birth: 25 February then 3 March is month 0, or month 1 with calendar_windows', () => {
    // "Month 1 retention = 30-60 days since person's birth"; calendar: "if a person made a purchase
    // on 25th Feb and then again on 3rd March, the person will be counted under Month 1".
    const rows: Parameters<typeof retentionOf>[1] = [
      ['Purchase', 'u1', '2026-02-25T12:00:00'],
      ['Purchase', 'u1', '2026-03-03T12:00:00'],
      ['Purchase', 'u2', '2026-02-25T12:00:00'],
      // 30 days and 1 hour later: month 1 in rolling windows.
      ['Purchase', 'u2', '2026-03-27T13:00:00'],
    ];
    const query = 'retention "Purchase"\n  unit month\n  from 2026-02-25 to 2026-02-25\n';
    // u1 is month 0 (6 days), u2 month 1 (30 days 1 hour).
    assert.deepEqual(cohortsOf(retentionOf(query, rows)), [['2026-02-01', 2, [1, 1]]]);
    // Calendar: both came back in March, the next calendar month.
    assert.deepEqual(cohortsOf(retentionOf(`${query}  calendar_windows\n`, rows)), [['2026-02-01', 2, [0, 2]]]);
  });

  it('interval N holds returns from N×24 up to (N+1)×24 hours after the born event', () => {
    // Query Retention Report: "each user gets 24 hours in each interval to do the specified event";
    // "9 of those users did event within 24 hours (the 0th interval) of doing the born_event. Seven
    // of those did event between 24 and 48 hours (interval 1) ... 6 users did event between 48 and
    // 72 hours (interval 2)". Reading "between 24 and 48" as [24 h, 48 h): exactly 24 hours is day 1.
    const rows: Parameters<typeof retentionOf>[1] = [
      ['Integration', 'u1', '2012-01-02T10:00:00'],
      ['Viewed Report', 'u1', '2012-01-03T09:59:00'], // 23 h 59 min: interval 0
      ['Integration', 'u2', '2012-01-02T10:00:00'],
      ['Viewed Report', 'u2', '2012-01-03T10:00:00'], // exactly 24 h: interval 1
      ['Integration', 'u3', '2012-01-02T10:00:00'],
      ['Viewed Report', 'u3', '2012-01-04T09:00:00'], // 47 h: interval 1
      ['Viewed Report', 'u3', '2012-01-04T12:00:00'], // 50 h: interval 2
    ];
    const result = retentionOf('retention "Integration" -> "Viewed Report"\n  interval_count 2\n  from 2012-01-02 to 2012-01-02\n', rows);
    // "first": "10 users did the born_event ... as indicated by the first field" — here 3.
    assert.deepEqual(cohortsOf(result), [['2012-01-02', 3, [1, 2, 1]]]);
  });

  it('a day is 24 hours across a daylight-saving change (Europe/Paris, 2026-10-25 has 25 hours)', () => {
    // Rolling windows count elapsed hours from birth ("Day 1 retention = 24-48 hrs since person's
    // birth"), whatever the wall clock does. Paris leaves summer time at 03:00 on 2026-10-25.
    const rows: Parameters<typeof retentionOf>[1] = [
      ['Sign Up', 'u1', '2026-10-24T12:00:00+02:00'],
      // 11:30 the next day by the wall clock is 24.5 hours later: day 1.
      ['Open App', 'u1', '2026-10-25T11:30:00+01:00'],
      ['Sign Up', 'u2', '2026-10-24T12:00:00+02:00'],
      // 10:59 the next day is 23 h 59 min later: day 0.
      ['Open App', 'u2', '2026-10-25T10:59:00+01:00'],
    ];
    const query = 'retention "Sign Up" -> "Open App"\n  from 2026-10-24 to 2026-10-24\n';
    assert.deepEqual(cohortsOf(retentionOf(query, rows, 'Europe/Paris')), [['2026-10-24', 2, [1, 1]]]);
    // Calendar windows: both came back on the next calendar day in Paris.
    assert.deepEqual(cohortsOf(retentionOf(`${query}  calendar_windows\n`, rows, 'Europe/Paris')), [['2026-10-24', 2, [0, 2]]]);
  });
});

describe('retention: birth and compounded', () => {
  it('birth is the first time in the data: a user born before the range is in no cohort', () => {
    // OpenAPI /retention, retention_type: "The “birth” retention type corresponds to first time
    // retention"; Query Retention Report: "In the Mixpanel retention UI, "First time" corresponds to
    // retention_type=birth". u1's first sign-up is on 09-30, before the range: their 10-01 sign-up
    // is not a first time.
    const rows: Parameters<typeof retentionOf>[1] = [
      ['Sign Up', 'u1', '2026-09-30T09:00:00'],
      ['Sign Up', 'u1', '2026-10-01T09:00:00'],
      ['Open App', 'u1', '2026-10-01T10:00:00'],
      ['Sign Up', 'u2', '2026-10-01T11:00:00'],
    ];
    const result = retentionOf('retention "Sign Up" -> "Open App"\n  from 2026-10-01 to 2026-10-01\n', rows);
    assert.deepEqual(cohortsOf(result), [['2026-10-01', 1, [0, 0]]]);
  });

  it('compounded ignores the born event: cohorts are the users who did the return event that day', () => {
    // OpenAPI /retention, born_event: "Required when retention_type is "birth"; ignored otherwise."
    // Query Retention Report: "If the retention_type=compounded, then first will instead indicate
    // the number of users who did event ("viewed report") on the specified date."
    const rows: Parameters<typeof retentionOf>[1] = [
      ['Integration', 'u1', '2026-10-01T09:00:00'],
      ['Viewed Report', 'u1', '2026-10-01T10:00:00'],
      ['Viewed Report', 'u1', '2026-10-02T11:00:00'], // 25 hours after u1's 10-01 report: day 1
      ['Viewed Report', 'u2', '2026-10-01T12:00:00'], // never did Integration, still in the cohort
      ['Integration', 'u3', '2026-10-02T08:00:00'], // never viewed a report: in no cohort
    ];
    const query = 'retention "Integration" -> "Viewed Report"\n  retention_type compounded\n  from 2026-10-01 to 2026-10-02\n';
    assert.deepEqual(cohortsOf(retentionOf(query, rows)), [
      ['2026-10-01', 2, [0, 1]],
      ['2026-10-02', 1, [0, 0]],
    ]);
    // The born event, and born_where with it, change nothing.
    const withoutBirth = retentionOf(query.replace('"Integration"', '"Anything"').replace('from', 'born_where properties["x"] == 1\n  from'), rows);
    assert.deepEqual(cohortsOf(withoutBirth), cohortsOf(retentionOf(query, rows)));
  });
});

describe('retention: on or after, and segments', () => {
  it('unbounded_retention: day N counts users who came back on day N or any day after', () => {
    // OpenAPI /retention, unbounded_retention: "retention values accumulate from right to left,
    // i.e. day N is equal to users who retained on day N and any day after." Retention report, 'On
    // or After': "A user can fulfill the "came back and did B criteria" on a specific time unit or
    // any time in the future to be counted as retained".
    const rows: Parameters<typeof retentionOf>[1] = [
      ['Sign Up', 'u1', '2026-10-01T10:00:00'],
      ['Open App', 'u1', '2026-10-01T11:00:00'], // day 0
      ['Sign Up', 'u2', '2026-10-01T10:00:00'],
      ['Open App', 'u2', '2026-10-03T12:00:00'], // 50 hours: day 2
      ['Sign Up', 'u3', '2026-10-01T10:00:00'],
      ['Open App', 'u3', '2026-10-06T11:00:00'], // day 5, past interval_count
    ];
    const query = 'retention "Sign Up" -> "Open App"\n  interval_count 2\n  from 2026-10-01 to 2026-10-01\n';
    assert.deepEqual(cohortsOf(retentionOf(query, rows)), [['2026-10-01', 3, [1, 0, 1]]]);
    // Day 0: all three came back on day 0 or later; days 1 and 2: u2 and u3.
    assert.deepEqual(cohortsOf(retentionOf(`${query}  unbounded_retention\n`, rows)), [['2026-10-01', 3, [3, 2, 2]]]);
  });

  it('on segments by the return ("second") event', () => {
    // OpenAPI /retention, on: "The property expression to segment the second event on." Each
    // segment's row keeps the whole cohort as its size ("first" counts users who did the born
    // event) and counts the users who came back with that value.
    const rows: Parameters<typeof retentionOf>[1] = [
      ['Sign Up', 'u1', '2026-10-01T09:00:00', { platform: 'ios' }],
      ['Open App', 'u1', '2026-10-01T10:00:00', { platform: 'web' }],
      ['Sign Up', 'u2', '2026-10-01T11:00:00', { platform: 'ios' }],
      ['Open App', 'u2', '2026-10-02T12:00:00', { platform: 'android' }],
    ];
    const result = retentionOf('retention "Sign Up" -> "Open App"\n  on properties["platform"]\n  from 2026-10-01 to 2026-10-01\n', rows);
    assert.deepEqual(cohortsOf(result), [
      ['2026-10-01', 'android', 2, [0, 1]],
      ['2026-10-01', 'web', 2, [1, 0]],
    ]);
  });
});
