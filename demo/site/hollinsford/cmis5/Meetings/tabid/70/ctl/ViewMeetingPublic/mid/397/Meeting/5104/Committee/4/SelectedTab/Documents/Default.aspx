<!DOCTYPE html>
<html lang="en-GB">
<head id="Head">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cabinet - Hollinsford Borough Council</title>
<meta name="GENERATOR" content="DotNetNuke">
<link href="@BASE@/hollinsford/cmis5/Portals/_default/Skins/CMIS/skin.css" rel="stylesheet" type="text/css">
<style>
body { font-family: Verdana, Arial, sans-serif; margin: 0; color: #222; font-size: 0.9em; }
#dnn_Header { background: #5b2a57; color: #fff; padding: 12px 24px; }
#dnn_Header a { color: #fff; }
#dnn_ContentPane { padding: 12px 24px 30px; max-width: 980px; }
.holder { display: flex; gap: 1em; } .DNNLabel { font-weight: bold; min-width: 9em; }
li.DocumentListItem { list-style: none; margin: 4px 0; }
.rgMasterTable td, table td { padding: 4px 10px; border-bottom: 1px solid #ddd; }
</style>
</head>
<body id="Body">
<form method="post" action="/hollinsford/cmis5/Meetings.aspx" id="Form" enctype="multipart/form-data">
<div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRkHc1xq9mV0pXe3Lw8cRk2nV7eGQo=">
</div>
<div id="dnn_Header">
  <p class="CouncilName"><strong>Hollinsford Borough Council</strong> &mdash; Councillors, committees and meetings</p>
  <ul id="dnn_dnnNAV" class="TopMenu">
    <li><a href="@BASE@/hollinsford/index.html">Council website</a></li>
    <li><a href="@BASE@/hollinsford/cmis5/Meetings.aspx">Meetings</a></li>
  </ul>
</div>
<div id="dnn_ContentPane" class="contentPane">
<div class="DnnModule DnnModule-CMIS DnnModule-397"><a name="397"></a>
<div class="DNNModuleContent ModCMISMeetingsC">
  <h1>Meeting Details</h1>
  <div class="holder">
    <div class="DNNLabel CommitteeLabel"><div class="dnnLabel"><label><span>Committee:</span></label></div></div>
    <div class="Value Committee">Cabinet</div>
  </div>
  <div class="holder">
    <div class="DNNLabel DateTimeLabel"><div class="dnnLabel"><label><span>Date/Time:</span></label></div></div>
    <div class="Value DateTime">@OLD:20:short@ - 18:00</div>
  </div>
  <div class="holder">
    <div class="DNNLabel VenueLabel"><div class="dnnLabel"><label><span>Status:</span></label></div></div>
    <div class="Value Venue">Occurred</div>
    <div class="holder">
      <div class="DNNLabel VenueLabel"><div class="dnnLabel"><label><span>Venue:</span></label></div></div>
      <div class="Value Venue">Committee Room 1, Hollinsford Civic Centre</div>
    </div>
  </div>
  <div id="dnn_ctr397_ViewMeetingPublic_cmisPdfDocuments_pnlDocuments" class="CmisDocumentList">
        <ol class="DocumentList">
            <li class="DocumentListItem">
                <img class="FileTypeImage" src="/hollinsford/cmis5/images/FileManager/Icons/pdf.gif" alt="pdf" />
                <a id="dnn_ctr397_ViewMeetingPublic_cmisPdfDocuments_rptDocuments_linkTitle_0" title="Click to view 'Minutes of the previous meeting'" class="TitleLink" href="/hollinsford/cmis5/Document.ashx?czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=cC4davDsREymZzoU8nDX7rnx5xrbw0aRFvKyQQbV4iOmSpnXJzjdO9Kn" target="_blank">Minutes of the previous meeting</a>
                <span class="FileSize">(133Kb)</span>
            </li>
            <li class="DocumentListItem">
                <img class="FileTypeImage" src="/hollinsford/cmis5/images/FileManager/Icons/pdf.gif" alt="pdf" />
                <a id="dnn_ctr397_ViewMeetingPublic_cmisPdfDocuments_rptDocuments_linkTitle_1" title="Click to view 'Final Cabinet Minutes'" class="TitleLink" href="/hollinsford/cmis5/Document.ashx?czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=Wq7tHm2RkVd9NcYp3LsXb8ZfJe4GuAo6Pi1TnKw5MyQhDrE0vCzU" target="_blank">Final Cabinet Minutes</a>
                <span class="FileSize">(171Kb)</span>
            </li>
        </ol>
  </div>
</div>
</div>
</div>
<div id="dnn_Footer"><p>Powered by CMIS. Copyright &copy; Hollinsford Borough Council. <a href="@BASE@/hollinsford/contact-us.html">Contact Democratic Services</a></p></div>
</form>
</body>
</html>
