"""The study service's use cases, one module per concern, composed into
`bot.study.service.StudyService` (see `base.ServiceBase` for what the parts share)."""
