"""Operations commands of the `derivbot` CLI that run beside the bot (deliver reminders, copy a
database): front-ends in the house's sense, calling the service layer, each one module."""
