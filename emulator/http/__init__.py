"""The edge: the application factory (app), the API's wire protocol (protocol), the HTTP
server that serves it (server), the command line (cli) and its log formats (logformat).

A request enters here, is read and validated against the contract, runs in the service and
leaves here again as the service's JSON or as an AWS-shaped error.
"""
