from adapters.email.log import LogEmailSender
from adapters.email.smtp import SmtpEmailSender

__all__ = ["LogEmailSender", "SmtpEmailSender"]
