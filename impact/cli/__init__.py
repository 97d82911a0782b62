"""``impact``: the command line of the ledger, for staff, agencies, the council, auditors
and operators.

One module per audience, each a few commands::

    setup       init, schema export                      founding the ledger, its contract
    desk        proposal …, program …                    the proposal desk and staff
    agencies    keys …, submit, ingest                   agencies and the submissions desk
    council     review, report, council decide           the council's quarter
    audit       audit …, privacy …                       auditors, the data-protection officer
    operators   relay, load, demo                        operators
    reference   catalogue, plan                          what entries refer to: metrics, tasks
    people      export, submissions, template, site      the public, agencies' staff, citizens

and what they share: ``parse`` (what a person types), ``render`` (what is printed, and
where) and ``run`` (exit statuses: 0 done, 2 the user's error as one line, 1 otherwise).
Every command builds its services once, through ``impact.bootstrap``.
"""
